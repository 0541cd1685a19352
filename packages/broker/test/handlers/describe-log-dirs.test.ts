import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { produceRecords } from '../support/admin-helpers.js';

test('DescribeLogDirs: partitions with sizes, requested subset, volume bytes from v4', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-dld-'));
  const tb = await startBroker({ config: { 'log.dirs': dir } });
  const c = await WireClient.connect(tb.port);
  try {
    await tb.broker.topics.createTopic({ name: 'dld', numPartitions: 2 });
    await tb.broker.topics.createTopic({ name: 'dld-other' });
    await produceRecords(c, 'dld', 1, 3);

    const all = await c.send(ApiKey.DescribeLogDirs, 4, { topics: null });
    assert.equal(all.errorCode, ErrorCode.NONE);
    assert.equal(all.results.length, 1);
    const d = all.results[0];
    assert.equal(d.errorCode, ErrorCode.NONE);
    assert.equal(d.logDir, dir);
    assert.ok(d.totalBytes > 0n && d.usableBytes > 0n && d.usableBytes <= d.totalBytes, `volume ${d.totalBytes}/${d.usableBytes}`);
    const topics = new Map<string, any>(d.topics.map((t: any) => [t.name, t]));
    assert.deepEqual([...topics.keys()].sort(), ['dld', 'dld-other']);
    const parts = topics.get('dld').partitions.sort((a: any, b: any) => a.partitionIndex - b.partitionIndex);
    assert.equal(parts.length, 2);
    assert.equal(parts[0].partitionSize, 0n);
    assert.equal(parts[1].partitionSize, BigInt(tb.broker.partitions.getPartition('dld', 1)!.log.sizeBytes));
    assert.ok(parts[1].partitionSize > 0n);
    assert.deepEqual([parts[1].offsetLag, parts[1].isFutureKey], [0n, false]);

    const some = await c.send(ApiKey.DescribeLogDirs, 1, { topics: [{ topic: 'dld', partitions: [1, 9] }, { topic: 'nope', partitions: [0] }] });
    assert.deepEqual(some.results[0].topics.map((t: any) => [t.name, t.partitions.map((p: any) => p.partitionIndex)]), [['dld', [1]]]);
  } finally {
    c.close();
    await tb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
