import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { ConfigSource, CONFIG_TYPE_CODE } from '../../src/config/config-def.js';
import { TOPIC_CONFIG_DEFS } from '../../src/config/topic-config.js';
import { WireClient } from '../testkit/wire-client.js';

test('DescribeConfigs: topic configs (all, by key, sources, synonyms, types), unknown and invalid topics', async () => {
  const tb = await startBroker({ config: { 'log.retention.hours': '24' } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'dc', configs: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000' } });
    const r = await c.send(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 2, resourceName: 'dc', configurationKeys: null },
        { resourceType: 2, resourceName: 'dc', configurationKeys: ['cleanup.policy', 'retention.ms', 'no.such.key'] },
        { resourceType: 2, resourceName: 'dc-missing', configurationKeys: null },
        { resourceType: 2, resourceName: 'bad/name', configurationKeys: null },
        { resourceType: 3, resourceName: 'x', configurationKeys: null },
      ],
      includeSynonyms: true, includeDocumentation: true,
    });
    const [all, some, missing, invalid, unsupported] = r.results;
    assert.equal(all.errorCode, ErrorCode.NONE);
    assert.equal(all.configs.length, TOPIC_CONFIG_DEFS.length);
    const byName = new Map<string, any>(all.configs.map((x: any) => [x.name, x]));
    const policy = byName.get('cleanup.policy');
    assert.deepEqual([policy.value, policy.configSource, policy.readOnly, policy.isSensitive, policy.configType], ['compact', ConfigSource.DYNAMIC_TOPIC_CONFIG, false, false, CONFIG_TYPE_CODE.list]);
    assert.equal(policy.documentation, null);
    const retention = byName.get('retention.ms');
    assert.equal(retention.value, String(24 * 3_600_000));
    assert.equal(retention.configSource, ConfigSource.STATIC_BROKER_CONFIG);
    assert.ok(retention.synonyms.some((s: any) => s.name === 'log.retention.hours' && s.value === '24' && s.source === ConfigSource.STATIC_BROKER_CONFIG));
    assert.equal(byName.get('segment.bytes').configSource, ConfigSource.DEFAULT_CONFIG);
    assert.deepEqual(some.configs.map((x: any) => x.name).sort(), ['cleanup.policy', 'retention.ms']);
    assert.equal(missing.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(missing.configs, []);
    assert.equal(invalid.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal(unsupported.errorCode, ErrorCode.INVALID_REQUEST);

    // v0: is_default instead of a source; no synonyms.
    const v0 = await c.send(ApiKey.DescribeConfigs, 0, { resources: [{ resourceType: 2, resourceName: 'dc', configurationKeys: ['cleanup.policy', 'segment.bytes'] }] });
    const v0by = new Map<string, any>(v0.results[0].configs.map((x: any) => [x.name, x]));
    assert.equal(v0by.get('cleanup.policy').isDefault, false);
    assert.equal(v0by.get('segment.bytes').isDefault, true);
    const v1 = await c.send(ApiKey.DescribeConfigs, 1, { resources: [{ resourceType: 2, resourceName: 'dc', configurationKeys: ['max.message.bytes'] }], includeSynonyms: false });
    assert.deepEqual(v1.results[0].configs.map((x: any) => [x.value, x.configSource, x.synonyms.length]), [['2000', ConfigSource.DYNAMIC_TOPIC_CONFIG, 0]]);
  } finally {
    c.close();
    await tb.stop();
  }
});

test('DescribeConfigs: broker resource by node id or empty name; read-only and sensitive flags; wrong ids', async () => {
  const tb = await startBroker({ config: { 'node.id': '2', 'num.partitions': '4', 'ssl.key.password': 'secret' } });
  const c = await WireClient.connect(tb.port);
  try {
    const r = await c.send(ApiKey.DescribeConfigs, 4, {
      resources: [
        { resourceType: 4, resourceName: '2', configurationKeys: null },
        { resourceType: 4, resourceName: '', configurationKeys: null },
        { resourceType: 4, resourceName: '7', configurationKeys: null },
        { resourceType: 4, resourceName: 'one', configurationKeys: null },
      ],
      includeSynonyms: true, includeDocumentation: false,
    });
    const [own, defaults, wrong, notInt] = r.results;
    assert.equal(own.errorCode, ErrorCode.NONE);
    const by = new Map<string, any>(own.configs.map((x: any) => [x.name, x]));
    const np = by.get('num.partitions');
    assert.deepEqual([np.value, np.configSource, np.readOnly, np.configType], ['4', ConfigSource.STATIC_BROKER_CONFIG, false, CONFIG_TYPE_CODE.int]);
    assert.deepEqual(np.synonyms.map((s: any) => [s.value, s.source]), [['4', ConfigSource.STATIC_BROKER_CONFIG], ['1', ConfigSource.DEFAULT_CONFIG]]);
    const dirs = by.get('log.dirs');
    assert.equal(dirs.readOnly, true);
    const secret = by.get('ssl.key.password');
    assert.deepEqual([secret.value, secret.isSensitive], [null, true]);
    assert.ok(secret.synonyms.every((s: any) => s.value === null));
    assert.equal(by.get('log.segment.bytes').configSource, ConfigSource.DEFAULT_CONFIG);
    assert.equal(defaults.errorCode, ErrorCode.NONE);
    assert.deepEqual(defaults.configs, [], 'no dynamic defaults yet');
    assert.equal(wrong.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(wrong.errorMessage, 'Unexpected broker id, expected 2 or empty string, but received 7');
    assert.equal(notInt.errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(notInt.errorMessage, 'Broker id must be an integer, but it is: one');
  } finally {
    c.close();
    await tb.stop();
  }
});
