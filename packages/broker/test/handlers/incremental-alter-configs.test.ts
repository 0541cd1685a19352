import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { Broker, startBroker } from '../../src/testkit/index.js';
import { ConfigSource } from '../../src/config/config-def.js';
import { LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { WireClient } from '../testkit/wire-client.js';
import { produceRecords } from '../support/admin-helpers.js';

const SET = 0, DELETE = 1, APPEND = 2, SUBTRACT = 3;
const topicRes = (name: string, configs: unknown[]) => ({ resourceType: 2, resourceName: name, configs });

test('IncrementalAlterConfigs on topics: SET/DELETE/APPEND/SUBTRACT, validation, validate_only, applied live', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'iac', configs: { 'retention.ms': '1000' } });
    const alter = (resources: unknown[], validateOnly = false) => c.send(ApiKey.IncrementalAlterConfigs, 1, { resources, validateOnly });
    const configs = () => Object.fromEntries(tb.broker.metadata.topic('iac')!.configs);

    const v = await alter([topicRes('iac', [{ name: 'retention.ms', configOperation: SET, value: '5000' }])], true);
    assert.equal(v.responses[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(configs(), { 'retention.ms': '1000' }, 'validate_only changes nothing');

    const r = await alter([topicRes('iac', [
      { name: 'retention.ms', configOperation: DELETE, value: null },
      { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
      { name: 'max.message.bytes', configOperation: SET, value: '200' },
    ])]);
    assert.equal(r.responses[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(configs(), { 'cleanup.policy': 'delete,compact', 'max.message.bytes': '200' });
    // Live: the partition's config now refuses a batch above 200 bytes.
    const hosted = tb.broker.partitions.topic('iac')!;
    assert.equal(hosted.config.num('max.message.bytes'), 200);
    const big = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: 'iac', partitionData: [{ index: 0, records: encodeRecordBatch(createRecordBatch([{ value: Buffer.alloc(300) }])) }] }] });
    assert.equal(big.responses[0].partitionResponses[0].errorCode, ErrorCode.MESSAGE_TOO_LARGE);

    const sub = await alter([topicRes('iac', [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }])]);
    assert.equal(sub.responses[0].errorCode, ErrorCode.NONE);
    assert.equal(configs()['cleanup.policy'], 'compact');

    const bad = await alter([
      topicRes('iac', [{ name: 'retention.ms', configOperation: APPEND, value: '1' }]),
      topicRes('iac', [{ name: 'retention.ms', configOperation: SET, value: 'x' }]),
      topicRes('iac', [{ name: 'no.such', configOperation: SET, value: '1' }]),
      topicRes('iac', [{ name: 'retention.ms', configOperation: SET, value: '1' }, { name: 'retention.ms', configOperation: DELETE, value: null }]),
      topicRes('iac', [{ name: 'retention.ms', configOperation: SET, value: null }]),
      topicRes('iac-missing', [{ name: 'retention.ms', configOperation: SET, value: '1' }]),
      { resourceType: 16, resourceName: 'm', configs: [] },
    ]);
    assert.deepEqual(bad.responses.map((x: any) => x.errorCode), [
      ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST,
    ]);
    assert.equal(bad.responses[0].errorMessage, "Can't APPEND to key retention.ms because its type is not LIST.");
    assert.equal(bad.responses[3].errorMessage, 'Error due to duplicate config keys : retention.ms');
    assert.deepEqual(configs(), { 'cleanup.policy': 'compact', 'max.message.bytes': '200' }, 'failed alters change nothing');
  } finally {
    c.close();
    await tb.stop();
  }
});

test('IncrementalAlterConfigs on brokers: dynamic configs applied to the logs live, read-only refused, persisted across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-iac-'));
  const config = { listeners: 'PLAINTEXT://127.0.0.1:0', 'advertised.listeners': 'PLAINTEXT://localhost:0', 'log.dirs': dir };
  const start = async () => {
    const b = new Broker({ config, storage: 'memory', metadataStore: new LocalMetadataStore(join(dir, 'meta')) });
    await b.start();
    return b;
  };
  let broker = await start();
  let c = await WireClient.connect(broker.boundListeners[0]!.port);
  try {
    await broker.topics.createTopic({ name: 'seg', numPartitions: 1 });
    await produceRecords(c, 'seg', 0, 3);
    assert.equal(broker.partitions.getPartition('seg', 0)!.log.segments().length, 1);
    const alter = (resourceName: string, configs: unknown[], validateOnly = false) => c.send(ApiKey.IncrementalAlterConfigs, 0, { resources: [{ resourceType: 4, resourceName, configs }], validateOnly });

    const ro = await alter('0', [{ name: 'log.dirs', configOperation: SET, value: '/elsewhere' }]);
    assert.equal(ro.responses[0].errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(ro.responses[0].errorMessage, /Cannot update these configs dynamically: Set\(log\.dirs\)/);
    const invalid = await alter('', [{ name: 'log.segment.bytes', configOperation: SET, value: '3' }]);
    assert.equal(invalid.responses[0].errorCode, ErrorCode.INVALID_REQUEST);
    const wrong = await alter('5', [{ name: 'log.segment.bytes', configOperation: SET, value: '300' }]);
    assert.equal(wrong.responses[0].errorCode, ErrorCode.INVALID_REQUEST);
    const vo = await alter('', [{ name: 'log.segment.bytes', configOperation: SET, value: '300' }], true);
    assert.equal(vo.responses[0].errorCode, ErrorCode.NONE);
    assert.equal(broker.config.int('log.segment.bytes'), 1073741824, 'validate_only changes nothing');

    const ok = await alter('', [{ name: 'log.segment.bytes', configOperation: SET, value: '300' }]);
    assert.equal(ok.responses[0].errorCode, ErrorCode.NONE);
    const own = await alter('0', [{ name: 'log.retention.ms', configOperation: SET, value: '123456' }]);
    assert.equal(own.responses[0].errorCode, ErrorCode.NONE);
    // Live: the existing log now rolls at 300 bytes.
    await produceRecords(c, 'seg', 0, 8);
    assert.ok(broker.partitions.getPartition('seg', 0)!.log.segments().length > 1, 'rolled under the new segment size');

    const d = await c.send(ApiKey.DescribeConfigs, 4, {
      resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['log.segment.bytes', 'log.retention.ms'] }, { resourceType: 4, resourceName: '', configurationKeys: null }, { resourceType: 2, resourceName: 'seg', configurationKeys: ['retention.ms', 'segment.bytes'] }],
      includeSynonyms: false, includeDocumentation: false,
    });
    const [node, defaults, topic] = d.results;
    assert.deepEqual(node.configs.map((x: any) => [x.name, x.value, x.configSource]).sort(), [['log.retention.ms', '123456', ConfigSource.DYNAMIC_BROKER_CONFIG], ['log.segment.bytes', '300', ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG]]);
    assert.deepEqual(defaults.configs.map((x: any) => [x.name, x.value]), [['log.segment.bytes', '300']]);
    assert.deepEqual(topic.configs.map((x: any) => [x.name, x.value]).sort(), [['retention.ms', '123456'], ['segment.bytes', '300']]);

    c.close();
    await broker.stop();
    broker = await start();
    c = await WireClient.connect(broker.boundListeners[0]!.port);
    assert.equal(broker.config.int('log.segment.bytes'), 300, 'dynamic default survives a restart');
    assert.equal(broker.config.logRetentionMs, 123456, 'per-broker value survives a restart');
    const del = await alter('0', [{ name: 'log.retention.ms', configOperation: DELETE, value: null }]);
    assert.equal(del.responses[0].errorCode, ErrorCode.NONE);
    assert.equal(broker.config.logRetentionMs, 168 * 3_600_000);
  } finally {
    c.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
