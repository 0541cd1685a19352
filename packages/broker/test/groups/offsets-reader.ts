/**
 * A Kafka-format reader of `__consumer_offsets`, as an outside tool (a lag checker, Kafka's
 * kafka-dump-log --offsets-decoder) would read it: record batches from the segment files or from
 * Fetch, each record's key and value decoded with the generated OffsetCommitKey/Value and
 * GroupMetadataKey/Value codecs (int16 version prefix, then the struct). It shares no code with
 * the broker's coordinator.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiKey, ErrorCode, Reader,
  decodeGroupMetadataKey, decodeGroupMetadataValue, decodeOffsetCommitKey, decodeOffsetCommitValue,
  type GroupMetadataValue,
} from '@samsa/protocol';
import { decodeRecordBatches } from '@samsa/protocol/records';
import { WireClient } from '../testkit/wire-client.js';

export interface OffsetCommitEntry { group: string; topic: string; partition: number; offset: number; metadata: string; commitTimestamp: number; logOffset: number }
export interface GroupMetadataEntry { group: string; value: GroupMetadataValue | null; logOffset: number }

export interface OffsetsTopicContent {
  commits: OffsetCommitEntry[];
  groups: GroupMetadataEntry[];
  /** Offset-commit tombstones. */
  deletedOffsets: number;
  /** Record types this reader does not know (KIP-848 records, ...). */
  otherRecords: number;
}

/** Decodes the batches of one `__consumer_offsets` partition (CRCs verified), appending to `out`. */
export function decodeOffsetsBatches(buf: Buffer, out: OffsetsTopicContent): void {
  for (const batch of decodeRecordBatches(buf, { verifyCrc: true })) {
    if (batch.isControl) continue;
    for (const rec of batch.records) {
      const logOffset = Number(batch.baseOffset) + rec.offsetDelta;
      assert.ok(rec.key !== null, `record at ${logOffset} has no key`);
      const kr = new Reader(rec.key);
      const keyVersion = kr.int16();
      if (keyVersion === 0 || keyVersion === 1) {
        const k = decodeOffsetCommitKey(kr, keyVersion);
        if (rec.value === null) {
          out.deletedOffsets++;
          continue;
        }
        const vr = new Reader(rec.value);
        const v = decodeOffsetCommitValue(vr, vr.int16());
        out.commits.push({ group: k.group, topic: k.topic, partition: k.partition, offset: Number(v.offset), metadata: v.metadata, commitTimestamp: Number(v.commitTimestamp), logOffset });
      } else if (keyVersion === 2) {
        const k = decodeGroupMetadataKey(kr, keyVersion);
        let value: GroupMetadataValue | null = null;
        if (rec.value !== null) {
          const vr = new Reader(rec.value);
          value = decodeGroupMetadataValue(vr, vr.int16());
        }
        out.groups.push({ group: k.group, value, logOffset });
      } else {
        out.otherRecords++;
      }
    }
  }
}

function empty(): OffsetsTopicContent {
  return { commits: [], groups: [], deletedOffsets: 0, otherRecords: 0 };
}

/** Reads every segment file of every `__consumer_offsets-N` directory under a log dir. */
export function readOffsetsTopicFromDisk(logDir: string): OffsetsTopicContent {
  const out = empty();
  const dirs = readdirSync(logDir).filter((d) => d.startsWith('__consumer_offsets-'));
  assert.ok(dirs.length > 0, `no __consumer_offsets partition under ${logDir}`);
  for (const d of dirs) {
    for (const f of readdirSync(join(logDir, d)).filter((n) => /^\d{20}\.log$/.test(n)).sort()) {
      decodeOffsetsBatches(readFileSync(join(logDir, d, f)), out);
    }
  }
  return out;
}

/** Reads every partition of `__consumer_offsets` from offset 0 over Fetch v11 (as a consumer of the internal topic). */
export async function readOffsetsTopicByFetch(port: number, partitions: number): Promise<OffsetsTopicContent> {
  const out = empty();
  const c = await WireClient.connect(port, '127.0.0.1', 'offsets-reader');
  try {
    for (let p = 0; p < partitions; p++) {
      let offset = 0n;
      for (let round = 0; round < 1000; round++) {
        const r = await c.send(ApiKey.Fetch, 11, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: '__consumer_offsets', partitions: [{ partition: p, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
          forgottenTopicsData: [], rackId: '',
        });
        const pd = r.responses[0].partitions[0];
        assert.equal(pd.errorCode, ErrorCode.NONE, `fetch __consumer_offsets-${p}`);
        if (offset >= pd.highWatermark) break;
        const batches = decodeRecordBatches(pd.records, { verifyCrc: true });
        assert.ok(batches.length > 0, `no whole batch at __consumer_offsets-${p}@${offset}`);
        const part = empty();
        decodeOffsetsBatches(pd.records, part);
        out.commits.push(...part.commits.filter((e) => e.logOffset >= offset));
        out.groups.push(...part.groups.filter((e) => e.logOffset >= offset));
        out.deletedOffsets += part.deletedOffsets;
        out.otherRecords += part.otherRecords;
        const last = batches.at(-1)!;
        offset = last.baseOffset + BigInt(last.lastOffsetDelta) + 1n;
      }
    }
    return out;
  } finally {
    c.close();
  }
}

/** The last committed offset per `group/topic/partition`, in log order. */
export function lastCommits(content: OffsetsTopicContent): Map<string, OffsetCommitEntry> {
  const m = new Map<string, OffsetCommitEntry>();
  for (const e of content.commits) m.set(`${e.group}/${e.topic}/${e.partition}`, e);
  return m;
}
