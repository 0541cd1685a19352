import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigException, ConfigSource } from '../../src/config/config-def.js';

test('defaults match Kafka (node.id 0 for a single node)', () => {
  const c = new BrokerConfig();
  assert.equal(c.nodeId, 0);
  // Kafka's PLAINTEXT://:9092: every interface, advertised under the host name (issue 13 item 9:
  // binding only 127.0.0.1 left a container deployment unreachable).
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '', port: 9092 }]);
  assert.deepEqual(c.advertisedListeners, [{ name: 'PLAINTEXT', host: hostname(), port: 9092 }]);
  assert.deepEqual(c.logDirs, ['/tmp/kafka-logs']);
  assert.equal(c.int('num.partitions'), 1);
  assert.equal(c.bool('auto.create.topics.enable'), true);
  assert.equal(c.logRetentionMs, 168 * 3_600_000);
  assert.equal(c.long('log.retention.bytes'), -1);
  assert.equal(c.int('log.segment.bytes'), 1073741824);
  assert.equal(c.int('message.max.bytes'), 1048588);
  assert.equal(c.int('socket.request.max.bytes'), 104857600);
  assert.equal(c.long('connections.max.idle.ms'), 600000);
  assert.equal(c.int('group.initial.rebalance.delay.ms'), 3000);
  assert.equal(c.int('offsets.topic.num.partitions'), 50);
  assert.equal(c.text('log.flush.interval.messages'), '9223372036854775807');
  assert.equal(c.source('num.partitions'), ConfigSource.DEFAULT_CONFIG);
});

test('retention precedence: ms over minutes over hours', () => {
  assert.equal(new BrokerConfig({ 'log.retention.hours': '1' }).logRetentionMs, 3_600_000);
  assert.equal(new BrokerConfig({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs, 120_000);
  assert.equal(new BrokerConfig({ 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.retention.ms': '5' }).logRetentionMs, 5);
  assert.equal(new BrokerConfig({ 'log.retention.ms': '-1' }).logRetentionMs, -1);
  assert.equal(new BrokerConfig({ 'log.roll.hours': '2' }).logRollMs, 7_200_000);
  assert.equal(new BrokerConfig({ 'log.roll.hours': '2', 'log.roll.ms': '10' }).logRollMs, 10);
});

test('log.dirs wins over log.dir; broker.id is a synonym of node.id', () => {
  const c = new BrokerConfig({ 'log.dir': '/a', 'log.dirs': '/b,/c', 'broker.id': '3' });
  assert.deepEqual(c.logDirs, ['/b', '/c']);
  assert.equal(c.nodeId, 3);
  assert.throws(() => new BrokerConfig({ 'broker.id': '3', 'node.id': '4' }), /must match node.id/);
});

test('listeners: empty host binds all and advertises the host name; 0.0.0.0 cannot be advertised; controller listeners are not bound', () => {
  const c = new BrokerConfig({
    listeners: 'PLAINTEXT://:9092,CONTROLLER://:9093',
    'controller.listener.names': 'CONTROLLER',
  });
  assert.deepEqual(c.listeners.map((l) => [l.name, l.host, l.port]), [['PLAINTEXT', '', 9092]]);
  assert.deepEqual(c.advertisedListeners, [{ name: 'PLAINTEXT', host: hostname(), port: 9092 }]);
  assert.throws(() => new BrokerConfig({ listeners: 'PLAINTEXT://0.0.0.0:1' }), /advertised.listeners cannot use the nonroutable meta-address 0.0.0.0. Use a routable IP address./);
  const a = new BrokerConfig({ listeners: 'PLAINTEXT://0.0.0.0:1', 'advertised.listeners': 'PLAINTEXT://kafka.example:19092' });
  assert.deepEqual(a.advertisedListeners, [{ name: 'PLAINTEXT', host: 'kafka.example', port: 19092 }]);
  assert.throws(() => new BrokerConfig({ listeners: 'nonsense' }), /Unable to parse nonsense to a broker endpoint/);
  assert.throws(() => new BrokerConfig({ listeners: 'FOO://:1' }), /No security protocol defined for listener FOO/);
});

test('validation messages follow Kafka wording', () => {
  assert.throws(() => new BrokerConfig({ 'num.partitions': 'abc' }), (e: unknown) => e instanceof ConfigException && e.message === 'Invalid value abc for configuration num.partitions: Not a number of type INT');
  assert.throws(() => new BrokerConfig({ 'num.partitions': '0' }), /Invalid value 0 for configuration num.partitions: Value must be at least 1/);
  assert.throws(() => new BrokerConfig({ 'auto.create.topics.enable': 'yes' }), /Expected value to be either true or false/);
  assert.throws(() => new BrokerConfig({ 'log.cleanup.policy': 'delete,shred' }), /String must be one of: compact, delete/);
  assert.throws(() => new BrokerConfig({ 'num.partitions': '99999999999' }), /Not a number of type INT/);
});

test('unknown keys are kept; explicit keys report STATIC_BROKER_CONFIG', () => {
  const c = new BrokerConfig({ 'my.custom': 'x', 'num.partitions': '3' });
  assert.deepEqual(c.unknownKeys, ['my.custom']);
  assert.equal(c.originals.get('my.custom'), 'x');
  assert.equal(c.source('num.partitions'), ConfigSource.STATIC_BROKER_CONFIG);
  assert.equal(c.int('num.partitions'), 3);
});
