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

test('inter-broker listener: named or by security protocol, never both; advertised; its SASL mechanism enabled on it (Kafka\'s KafkaConfig rules)', () => {
  const two = { listeners: 'INTERNAL://:9093,EXTERNAL://:9092', 'listener.security.protocol.map': 'INTERNAL:SSL,EXTERNAL:SASL_SSL' };
  assert.deepEqual(new BrokerConfig({ ...two, 'inter.broker.listener.name': 'internal' }).interBrokerListener, { name: 'INTERNAL', securityProtocol: 'SSL' });
  // Default: security.inter.broker.protocol=PLAINTEXT, the listener named PLAINTEXT.
  assert.deepEqual(new BrokerConfig().interBrokerListener, { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT' });
  assert.deepEqual(new BrokerConfig({ listeners: 'PLAINTEXT://:9092,SSL://:9093', 'security.inter.broker.protocol': 'SSL' }).interBrokerListener, { name: 'SSL', securityProtocol: 'SSL' });
  assert.throws(() => new BrokerConfig({ ...two, 'inter.broker.listener.name': 'INTERNAL', 'security.inter.broker.protocol': 'SSL' }), /Only one of inter.broker.listener.name and security.inter.broker.protocol should be set./);
  assert.throws(() => new BrokerConfig({ ...two, 'inter.broker.listener.name': 'REPLICATION' }), /Listener with name REPLICATION defined in inter.broker.listener.name not found in listener.security.protocol.map./);
  assert.throws(() => new BrokerConfig(two), /inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are INTERNAL,EXTERNAL/);
  assert.throws(() => new BrokerConfig({ 'security.inter.broker.protocol': 'SASL_PLAIN' }), /Invalid value SASL_PLAIN for configuration security.inter.broker.protocol/);
  const sasl = { listeners: 'SASL_SSL://:9092', 'security.inter.broker.protocol': 'SASL_SSL' };
  // Kafka's default mechanism (GSSAPI) is not enabled once PLAIN is chosen for clients ...
  assert.throws(() => new BrokerConfig({ ...sasl, 'sasl.enabled.mechanisms': 'PLAIN' }), /sasl.mechanism.inter.broker.protocol must be included in sasl.enabled.mechanisms when SASL is used for inter-broker communication/);
  // ... and the listener's own list (listener.name.<l>.sasl.enabled.mechanisms) is the one that counts.
  assert.throws(() => new BrokerConfig({ ...sasl, 'sasl.enabled.mechanisms': 'SCRAM-SHA-512', 'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN', 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' }), /must be included in sasl.enabled.mechanisms/);
  const ok = new BrokerConfig({ ...sasl, 'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512', 'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512' });
  assert.deepEqual(ok.interBrokerListener, { name: 'SASL_SSL', securityProtocol: 'SASL_SSL' });
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
