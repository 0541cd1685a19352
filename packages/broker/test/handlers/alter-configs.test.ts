import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';

test('AlterConfigs (legacy): replaces the whole topic override set; validation; validate_only; broker resources', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'ac', configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } });
    const alter = (resources: unknown[], validateOnly = false, version = 1) => c.send(ApiKey.AlterConfigs, version, { resources, validateOnly });
    const configs = () => Object.fromEntries(tb.broker.metadata.topic('ac')!.configs);

    const v = await alter([{ resourceType: 2, resourceName: 'ac', configs: [{ name: 'segment.ms', value: '60000' }] }], true);
    assert.equal(v.responses[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(configs(), { 'retention.ms': '1000', 'cleanup.policy': 'compact' });

    const r = await alter([{ resourceType: 2, resourceName: 'ac', configs: [{ name: 'segment.ms', value: '60000' }] }], false, 2);
    assert.equal(r.responses[0].errorCode, ErrorCode.NONE);
    assert.deepEqual(configs(), { 'segment.ms': '60000' }, 'everything not named is back to its default');
    assert.equal(tb.broker.partitions.topic('ac')!.config.get('cleanup.policy')!.toString(), 'delete');

    const bad = await alter([
      { resourceType: 2, resourceName: 'ac', configs: [{ name: 'segment.ms', value: '0' }] },
      { resourceType: 2, resourceName: 'ac', configs: [{ name: 'segment.ms', value: null }] },
      { resourceType: 2, resourceName: 'ac-missing', configs: [] },
      { resourceType: 4, resourceName: '0', configs: [{ name: 'broker.rack', value: 'r1' }] },
      { resourceType: 4, resourceName: '', configs: [{ name: 'num.partitions', value: '0' }] },
      { resourceType: 8, resourceName: '0', configs: [] },
    ], false, 0);
    assert.deepEqual(bad.responses.map((x: any) => x.errorCode), [
      ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST,
    ]);
    assert.deepEqual(configs(), { 'segment.ms': '60000' });

    const br = await alter([{ resourceType: 4, resourceName: '', configs: [{ name: 'num.partitions', value: '3' }] }]);
    assert.equal(br.responses[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.config.int('num.partitions'), 3);
    const created = await tb.broker.topics.createTopic({ name: 'ac-default' });
    assert.equal(created.partitions.length, 3, 'new topics use the dynamic default');
  } finally {
    c.close();
    await tb.stop();
  }
});
