// Regressions: dynamic broker configs reach hosted topics (Produce's view) and DescribeConfigs
// names them as the source of topic defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { TopicConfig } from '../../src/config/topic-config.js';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

const SET = 0;
const DELETE = 1;
const BROKER = 4;
const TOPIC = 2;

test('a dynamic broker message.max.bytes reaches the hosted topics at once (Produce refuses, then accepts again)', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'dyn', numPartitions: 1 });
    const produce = async (bytes: number) => {
      const records = encodeRecordBatch(createRecordBatch([{ key: Buffer.from('k'), value: Buffer.alloc(bytes) }]));
      const r = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'dyn', partitionData: [{ index: 0, records }] }] });
      return r.responses[0].partitionResponses[0].errorCode as number;
    };
    assert.equal(await produce(400), ErrorCode.NONE);
    const alter = (configs: unknown[], resourceName = '') => c.send(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly: false });
    const set = await alter([{ name: 'message.max.bytes', configOperation: SET, value: '300' }]);
    assert.equal(set.responses[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.partitions.topic('dyn')!.config.num('max.message.bytes'), 300);
    assert.equal(await produce(400), ErrorCode.MESSAGE_TOO_LARGE);
    assert.equal(await produce(100), ErrorCode.NONE);

    // This broker's own value wins over the cluster default; deleting it restores the default's.
    await alter([{ name: 'message.max.bytes', configOperation: SET, value: '2000' }], String(tb.broker.nodeId));
    assert.equal(await produce(400), ErrorCode.NONE);
    await alter([{ name: 'message.max.bytes', configOperation: DELETE, value: null }], String(tb.broker.nodeId));
    assert.equal(await produce(400), ErrorCode.MESSAGE_TOO_LARGE);
    await alter([{ name: 'message.max.bytes', configOperation: DELETE, value: null }]);
    assert.equal(await produce(400), ErrorCode.NONE);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('DescribeConfigs: a topic default from a dynamic broker value has source DYNAMIC_DEFAULT_BROKER_CONFIG / DYNAMIC_BROKER_CONFIG', async () => {
  const tb = await startBroker({ config: { 'log.retention.ms': '5000' } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'src', numPartitions: 1 });
    const describe = async () => {
      const r = await c.send(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: TOPIC, resourceName: 'src', configurationKeys: ['retention.ms', 'segment.bytes'] }], includeSynonyms: true, includeDocumentation: false,
      });
      return new Map<string, any>(r.results[0].configs.map((x: any) => [x.name, x]));
    };
    let d = await describe();
    assert.equal(d.get('retention.ms').configSource, ConfigSource.STATIC_BROKER_CONFIG);
    assert.equal(d.get('segment.bytes').configSource, ConfigSource.DEFAULT_CONFIG);

    const alter = (configs: unknown[], resourceName: string) => c.send(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly: false });
    await alter([{ name: 'log.segment.bytes', configOperation: SET, value: '2097152' }, { name: 'log.retention.ms', configOperation: SET, value: '7000' }], '');
    d = await describe();
    assert.equal(d.get('segment.bytes').value, '2097152');
    assert.equal(d.get('segment.bytes').configSource, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    assert.equal(d.get('retention.ms').value, '7000');
    assert.equal(d.get('retention.ms').configSource, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    assert.deepEqual(d.get('retention.ms').synonyms.map((s: any) => [s.name, s.value, s.source]), [
      ['log.retention.ms', '7000', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
      ['log.retention.ms', '5000', ConfigSource.STATIC_BROKER_CONFIG],
    ]);

    await alter([{ name: 'log.retention.ms', configOperation: SET, value: '9000' }], String(tb.broker.nodeId));
    d = await describe();
    assert.equal(d.get('retention.ms').value, '9000');
    assert.equal(d.get('retention.ms').configSource, ConfigSource.DYNAMIC_BROKER_CONFIG);
    assert.equal(d.get('retention.ms').synonyms[0].source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('TopicConfig.describe: sources follow the dynamic layers, a topic override still wins', () => {
  const broker = new BrokerConfig({ 'log.retention.ms': '1000' });
  broker.applyDynamic(new Map([['log.segment.bytes', '4096']]), new Map([['message.max.bytes', '5000']]));
  const tc = new TopicConfig(broker, new Map([['retention.ms', '50']]));
  const byName = new Map(tc.describe(['segment.bytes', 'max.message.bytes', 'retention.ms', 'flush.ms']).map((x) => [x.name, x]));
  assert.equal(byName.get('segment.bytes')!.source, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  assert.equal(byName.get('segment.bytes')!.value, '4096');
  assert.equal(byName.get('max.message.bytes')!.source, ConfigSource.DYNAMIC_BROKER_CONFIG);
  assert.equal(byName.get('max.message.bytes')!.value, '5000');
  assert.equal(byName.get('retention.ms')!.source, ConfigSource.DYNAMIC_TOPIC_CONFIG);
  assert.equal(byName.get('flush.ms')!.source, ConfigSource.DEFAULT_CONFIG);
});
