import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { produceRecords } from '../support/admin-helpers.js';

test('CreatePartitions: increase only, validate_only, assignments, unknown topic, duplicates, timeout', async () => {
  const tb = await startBroker();
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'cp', numPartitions: 2 });
    const send = (topics: unknown[], validateOnly = false, timeoutMs = 5000) => c.send(ApiKey.CreatePartitions, 3, { topics, timeoutMs, validateOnly });

    const v = await send([{ name: 'cp', count: 4, assignments: null }], true);
    assert.equal(v.results[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.metadata.topic('cp')!.partitions.length, 2, 'validate_only changes nothing');

    const r = await send([
      { name: 'cp', count: 3, assignments: [{ brokerIds: [0] }] },
      { name: 'cp-missing', count: 3, assignments: null },
    ]);
    assert.deepEqual(r.results.map((x: any) => [x.name, x.errorCode, x.errorMessage]), [['cp', ErrorCode.NONE, null], ['cp-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null]]);
    assert.equal(tb.broker.metadata.topic('cp')!.partitions.length, 3);
    // The new partition is writable.
    assert.equal(await produceRecords(c, 'cp', 2, 2), 1n);

    const bad = await send([{ name: 'cp', count: 2, assignments: null }]);
    assert.equal(bad.results[0].errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(bad.results[0].errorMessage, 'The topic cp currently has 3 partition(s); 2 would not be an increase.');
    const same = await send([{ name: 'cp', count: 3, assignments: null }]);
    assert.equal(same.results[0].errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(same.results[0].errorMessage, 'Topic already has 3 partition(s).');

    const cases: Array<[unknown, RegExp]> = [
      [[{ brokerIds: [0] }], /Attempted to add 2 additional partition\(s\), but only 1 assignment\(s\) were specified\./],
      [[{ brokerIds: [0] }, { brokerIds: [] }], /empty replica list/],
      [[{ brokerIds: [0] }, { brokerIds: [9] }], /includes broker 9, but no such broker is registered/],
      [[{ brokerIds: [0] }, { brokerIds: [0, 0] }], /includes the broker 0 more than once/],
    ];
    for (const [assignments, message] of cases) {
      const x = await send([{ name: 'cp', count: 5, assignments }]);
      assert.equal(x.results[0].errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
      assert.match(x.results[0].errorMessage, message);
    }
    assert.equal(tb.broker.metadata.topic('cp')!.partitions.length, 3);

    const dup = await send([{ name: 'cp', count: 5, assignments: null }, { name: 'cp', count: 6, assignments: null }]);
    assert.equal(dup.results.length, 1);
    assert.equal(dup.results[0].errorCode, ErrorCode.INVALID_REQUEST);

    const t0 = await send([{ name: 'cp', count: 4, assignments: null }], false, 0);
    assert.equal(t0.results[0].errorCode, ErrorCode.REQUEST_TIMED_OUT);
    assert.equal(tb.broker.metadata.topic('cp')!.partitions.length, 4, 'added all the same');

    const v0 = await c.send(ApiKey.CreatePartitions, 0, { topics: [{ name: 'cp', count: 5, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(v0.results[0].errorCode, ErrorCode.NONE);
    assert.equal(tb.broker.partitions.topic('cp')!.partitions.length, 5);
  } finally {
    c.close();
    await tb.stop();
  }
});
