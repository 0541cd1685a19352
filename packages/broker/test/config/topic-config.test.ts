import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigException, ConfigSource } from '../../src/config/config-def.js';
import { TopicConfig, validateTopicConfigs, TOPIC_CONFIG_DEFS } from '../../src/config/topic-config.js';

test('topic defaults derive from broker synonyms', () => {
  const broker = new BrokerConfig({ 'log.retention.hours': '2', 'log.segment.bytes': '1048576', 'message.max.bytes': '2000' });
  const lc = new TopicConfig(broker).toLogConfig();
  assert.equal(lc.retentionMs, 7_200_000);
  assert.equal(lc.segmentBytes, 1048576);
  assert.equal(lc.maxMessageBytes, 2000);
  assert.equal(lc.retentionBytes, -1);
  assert.equal(lc.cleanupPolicy, 'delete');
  assert.equal(lc.messageTimestampType, 'CreateTime');
  assert.equal(lc.segmentMs, 604_800_000);
  assert.equal(lc.indexIntervalBytes, 4096);
  assert.equal(lc.segmentIndexBytes, 10485760);
  assert.equal(lc.deleteRetentionMs, 86_400_000);
  assert.equal(lc.minCleanableDirtyRatio, 0.5);
  assert.equal(lc.fileDeleteDelayMs, 60000);
});

test('overrides win and show as DYNAMIC_TOPIC_CONFIG with synonyms', () => {
  const broker = new BrokerConfig({ 'log.retention.ms': '1000' });
  const tc = new TopicConfig(broker, new Map([['cleanup.policy', 'compact,delete'], ['retention.ms', '50']]));
  assert.equal(tc.toLogConfig().cleanupPolicy, 'compact,delete');
  assert.equal(tc.toLogConfig().retentionMs, 50);
  const [ret] = tc.describe(['retention.ms'], true);
  assert.equal(ret!.value, '50');
  assert.equal(ret!.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.deepEqual(ret!.synonyms.map((s) => [s.name, s.value, s.source]), [
    ['retention.ms', '50', ConfigSource.DYNAMIC_TOPIC_CONFIG],
    ['log.retention.ms', '1000', ConfigSource.STATIC_BROKER_CONFIG],
  ]);
  const [seg] = tc.describe(['segment.bytes']);
  assert.equal(seg!.source, ConfigSource.DEFAULT_CONFIG);
  assert.equal(seg!.value, '1073741824');
  assert.equal(seg!.configType, 3);
  const flush = tc.describe(['flush.messages'])[0]!;
  assert.equal(flush.value, '9223372036854775807');
  assert.equal(tc.describe().length, TOPIC_CONFIG_DEFS.length);
});

test('validation: unknown names and bad values give INVALID_CONFIG-ready messages', () => {
  assert.throws(() => validateTopicConfigs({ 'retention.mss': '1' }), (e: unknown) => e instanceof ConfigException && e.message === 'Unknown topic config name: retention.mss');
  assert.throws(() => validateTopicConfigs({ 'cleanup.policy': 'forever' }), /Invalid value forever for configuration cleanup.policy: String must be one of: compact, delete/);
  assert.throws(() => validateTopicConfigs({ 'min.cleanable.dirty.ratio': '1.5' }), /Value must be no more than 1/);
  assert.throws(() => validateTopicConfigs({ 'segment.bytes': 'big' }), /Not a number of type INT/);
  assert.throws(() => validateTopicConfigs({ 'message.timestamp.type': 'Now' }), /CreateTime, LogAppendTime/);
  assert.deepEqual(validateTopicConfigs({ 'retention.ms': '-1' }), new Map([['retention.ms', '-1']]));
});
