/** Shared steps of the admin handler tests: produce a few records over the wire. */
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import type { WireClient } from '../testkit/wire-client.js';

/** Produces `count` single-record batches to topic-partition; returns the last base offset. */
export async function produceRecords(c: WireClient, topic: string, partition: number, count: number): Promise<bigint> {
  let last = -1n;
  for (let i = 0; i < count; i++) {
    const records = encodeRecordBatch(createRecordBatch([{ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`) }]));
    const r = await c.send(ApiKey.Produce, 7, { acks: 1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    const pr = r.responses[0].partitionResponses[0];
    assert.equal(pr.errorCode, ErrorCode.NONE, `produce to ${topic}-${partition}`);
    last = pr.baseOffset;
  }
  return last;
}
