// Issue 13 item 6: settings that silently do nothing are dangerous. Every broker config key
// Samsa accepts is implemented, refused when set to anything but Kafka's default, inert by
// design (accepted so stock Kafka configs start, and warned about). This test lists them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { BROKER_CONFIG_DEFS, BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigException } from '../../src/config/config-def.js';
import { CONFIG_SUPPORT, TOPIC_CONFIG_SUPPORT } from '../../src/config/config-support.js';
import { TOPIC_CONFIG_DEFS, validateTopicConfigs } from '../../src/config/topic-config.js';
import { createLogger, startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const EXPECTED: Record<string, readonly string[]> = {
  refused: [
    'metadata.log.dir', 'log.flush.offset.checkpoint.interval.ms',
    'log.flush.start.offset.checkpoint.interval.ms', 'log.cleaner.io.max.bytes.per.second', 'compression.type',
    'client.quota.callback.class',
  ],
  inert: [
    'socket.send.buffer.bytes', 'socket.receive.buffer.bytes', 'num.network.threads', 'num.io.threads', 'num.recovery.threads.per.data.dir', 'log.preallocate',
    'log.cleaner.threads', 'compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level', 'ssl.protocol',
  ],
  implemented: [
    'node.id', 'broker.id', 'process.roles', 'listeners', 'advertised.listeners', 'listener.security.protocol.map', 'inter.broker.listener.name',
    'security.inter.broker.protocol', 'controller.listener.names',
    'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'broker.rack', 'zookeeper.connect', 'zookeeper.session.timeout.ms',
    'zookeeper.connection.timeout.ms', 'metadata.store', 'socket.request.max.bytes', 'socket.listen.backlog.size', 'connections.max.idle.ms', 'queued.max.requests', 'queued.max.request.bytes',
    'request.timeout.ms', 'log.dirs', 'log.dir', 'num.partitions', 'default.replication.factor', 'auto.create.topics.enable', 'delete.topic.enable', 'log.segment.bytes',
    'log.roll.ms', 'log.roll.hours', 'log.roll.jitter.ms', 'log.roll.jitter.hours', 'log.retention.ms', 'log.retention.minutes', 'log.retention.hours',
    'log.retention.bytes', 'log.retention.check.interval.ms', 'log.cleanup.policy', 'log.index.size.max.bytes', 'log.index.interval.bytes',
    'log.flush.interval.messages', 'log.flush.interval.ms', 'log.flush.scheduler.interval.ms', 'log.segment.delete.delay.ms', 'log.message.timestamp.type',
    'log.message.timestamp.before.max.ms', 'log.message.timestamp.after.max.ms', 'log.cleaner.enable', 'log.cleaner.dedupe.buffer.size', 'log.cleaner.io.buffer.size',
    'log.cleaner.backoff.ms', 'log.cleaner.min.cleanable.ratio', 'log.cleaner.delete.retention.ms', 'log.cleaner.min.compaction.lag.ms',
    'log.cleaner.max.compaction.lag.ms', 'message.max.bytes', 'min.insync.replicas', 'unclean.leader.election.enable', 'leader.replication.throttled.rate',
    'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second', 'auto.leader.rebalance.enable', 'leader.imbalance.per.broker.percentage', 'leader.imbalance.check.interval.seconds',
    'max.incremental.fetch.session.cache.slots', 'fetch.max.bytes', 'replica.fetch.max.bytes', 'num.replica.fetchers', 'replica.fetch.wait.max.ms',
    'replica.fetch.min.bytes', 'replica.fetch.response.max.bytes', 'replica.fetch.backoff.ms', 'replica.socket.timeout.ms', 'replica.selector.class', 'controlled.shutdown.enable',
    'controlled.shutdown.max.retries', 'controlled.shutdown.retry.backoff.ms', 'replica.high.watermark.checkpoint.interval.ms', 'replica.lag.time.max.ms',
    'offsets.commit.timeout.ms', 'transaction.partition.verification.enable', 'group.initial.rebalance.delay.ms', 'group.min.session.timeout.ms', 'group.max.session.timeout.ms', 'group.max.size', 'group.coordinator.rebalance.protocols',
    'group.consumer.session.timeout.ms', 'group.consumer.heartbeat.interval.ms', 'group.consumer.max.size', 'offsets.topic.num.partitions', 'offsets.topic.replication.factor',
    'offsets.topic.segment.bytes', 'offsets.retention.minutes', 'offsets.retention.check.interval.ms', 'offset.metadata.max.bytes',
    'transaction.state.log.num.partitions', 'transaction.state.log.replication.factor', 'transaction.state.log.min.isr', 'transaction.state.log.segment.bytes',
    'transaction.max.timeout.ms', 'transactional.id.expiration.ms', 'transaction.abort.timed.out.transaction.cleanup.interval.ms',
    'transaction.remove.expired.transaction.cleanup.interval.ms', 'producer.id.expiration.ms', 'producer.id.expiration.check.interval.ms', 'max.connections',
    'max.connections.per.ip', 'connections.max.reauth.ms', 'sasl.enabled.mechanisms', 'sasl.mechanism.inter.broker.protocol', 'sasl.jaas.config', 'sasl.server.max.receive.size',
    'sasl.oauthbearer.jwks.endpoint.url', 'sasl.oauthbearer.expected.audience', 'sasl.oauthbearer.expected.issuer', 'sasl.oauthbearer.sub.claim.name',
    'sasl.oauthbearer.clock.skew.seconds', 'ssl.enabled.protocols', 'ssl.cipher.suites', 'ssl.client.auth', 'ssl.keystore.type', 'ssl.keystore.location',
    'ssl.keystore.password', 'ssl.keystore.key', 'ssl.keystore.certificate.chain', 'ssl.key.password', 'ssl.truststore.type', 'ssl.truststore.location',
    'ssl.truststore.password', 'ssl.truststore.certificates', 'ssl.endpoint.identification.algorithm', 'ssl.principal.mapping.rules', 'authorizer.class.name', 'super.users', 'allow.everyone.if.no.acl.found',
    'quota.window.num', 'quota.window.size.seconds',
  ],
};

const classOf = (name: string, table: ReadonlyMap<string, { kind: string; by?: string }>): string => {
  const s = table.get(name);
  return s === undefined ? 'implemented' : s.kind;
};

test('every broker config key is classified, and the classification is this list', () => {
  const actual: Record<string, string[]> = {};
  for (const def of BROKER_CONFIG_DEFS) (actual[classOf(def.name, CONFIG_SUPPORT)] ??= []).push(def.name);
  for (const name of CONFIG_SUPPORT.keys()) assert.ok(BROKER_CONFIG_DEFS.some((d) => d.name === name), `${name} is classified but not a broker config`);
  for (const [cls, names] of Object.entries(EXPECTED)) assert.deepEqual([...(actual[cls] ?? [])].sort(), [...names].sort(), cls);
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(EXPECTED).sort());
});

test('a refused key with a non-default value stops the broker with a reason; its default is accepted', () => {
  const nonDefault: Record<string, string> = {
    'metadata.log.dir': '/tmp/meta', 'log.flush.offset.checkpoint.interval.ms': '1000',
    'log.flush.start.offset.checkpoint.interval.ms': '1000', 'log.cleaner.io.max.bytes.per.second': '1048576', 'compression.type': 'gzip',
    'client.quota.callback.class': 'com.example.MyQuotaCallback',
  };
  assert.deepEqual(Object.keys(nonDefault).sort(), [...EXPECTED['refused']!].sort());
  for (const [name, value] of Object.entries(nonDefault)) {
    assert.throws(() => new BrokerConfig({ [name]: value }), (e: unknown) => e instanceof ConfigException && e.message.startsWith(`${name}=${value} is not supported by Samsa (`), name);
    const def = BROKER_CONFIG_DEFS.find((d) => d.name === name)!;
    if (def.default !== null) new BrokerConfig({ [name]: def.default });
  }
  // ... and as a dynamic update.
  assert.throws(() => new BrokerConfig().withDynamic(new Map([['compression.type', 'lz4']]), new Map()), /compression.type=lz4 is not supported/);
  // Topic level: compression.type other than producer is INVALID_CONFIG; the levels are accepted.
  assert.throws(() => validateTopicConfigs({ 'compression.type': 'zstd' }), /compression.type=zstd is not supported by Samsa/);
  assert.deepEqual([...validateTopicConfigs({ 'compression.type': 'producer', 'compression.gzip.level': '9' })], [['compression.type', 'producer'], ['compression.gzip.level', '9']]);
  for (const name of TOPIC_CONFIG_SUPPORT.keys()) assert.ok(TOPIC_CONFIG_DEFS.some((d) => d.name === name), name);
});

test('inert keys set in a stock Kafka server.properties start the broker with one WARN each', async () => {
  const lines: string[] = [];
  const tb = await startBroker({
    logger: createLogger('kafka.server.KafkaServer', { sink: (l) => lines.push(l), level: 'INFO' }),
    config: { 'num.network.threads': '3', 'num.io.threads': '16', 'socket.send.buffer.bytes': '102400', 'num.recovery.threads.per.data.dir': '1' },
  });
  try {
    const warned = lines.filter((l) => / WARN The configuration '.*' \(.*\) has no effect in Samsa: /.test(l));
    // 3 and 102400 are Kafka's defaults: nothing to say about them.
    assert.deepEqual(warned.map((l) => /'([^']+)'/.exec(l)![1]).sort(), ['num.io.threads', 'num.recovery.threads.per.data.dir']);
  } finally {
    await tb.stop();
  }
});

test('group.coordinator.rebalance.protocols=classic withdraws the KIP-848 APIs; classic cannot be disabled', async () => {
  assert.throws(() => new BrokerConfig({ 'group.coordinator.rebalance.protocols': 'consumer' }), /Disabling the 'classic' protocol is not supported/);
  assert.throws(() => new BrokerConfig({ 'group.coordinator.rebalance.protocols': 'classic,share' }), /String must be one of: classic, consumer/);
  const tb = await startBroker({ config: { 'group.coordinator.rebalance.protocols': 'classic' } });
  const c = await WireClient.connect(tb.port);
  try {
    const av = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    assert.equal(av.errorCode, ErrorCode.NONE);
    const keys = av.apiKeys.map((k: { apiKey: number }) => k.apiKey);
    assert.ok(keys.includes(ApiKey.JoinGroup));
    assert.ok(!keys.includes(ApiKey.ConsumerGroupHeartbeat) && !keys.includes(ApiKey.ConsumerGroupDescribe));
  } finally {
    c.close();
    await tb.stop();
  }
});

test('max.connections.per.ip: connections beyond the limit from one address are closed, with Kafka\'s log line', async () => {
  const lines: string[] = [];
  const tb = await startBroker({ logger: createLogger('kafka.server.KafkaServer', { sink: (l) => lines.push(l), level: 'INFO' }), config: { 'max.connections.per.ip': '2' } });
  try {
    const a = await WireClient.connect(tb.port);
    const b = await WireClient.connect(tb.port);
    await a.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    await b.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    const third = connect({ port: tb.port, host: '127.0.0.1' });
    third.on('error', () => {});
    third.resume();
    await new Promise<void>((r) => third.once('close', () => r()));
    assert.ok(lines.some((l) => l.includes('Rejected connection from /127.0.0.1, address already has the configured maximum of 2 connections.')), lines.join('\n'));
    // A slot frees when a connection closes.
    a.close();
    await a.closed;
    while (tb.broker.connectionCount > 1) await new Promise((r) => setTimeout(r, 10));
    const d = await WireClient.connect(tb.port);
    const av = await d.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    assert.equal(av.errorCode, ErrorCode.NONE);
    b.close();
    d.close();
  } finally {
    await tb.stop();
  }
});
