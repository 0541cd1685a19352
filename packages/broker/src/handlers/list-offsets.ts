/**
 * ListOffsets (2). v0-v10. Special timestamps: -1 latest (the high watermark, or the last
 * stable offset for read_committed), -2 earliest, -3 max timestamp (v7+), -4 earliest local
 * (v8+, = earliest without tiered storage), -5 earliest pending upload (v9+, none here).
 * v0 answers with the old offsets array.
 */
import { ApiKey, ErrorCode, type ListOffsetsRequest, type ListOffsetsResponse } from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { READ_COMMITTED } from './fetch.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';
import { unhostedPartitionError } from '../server/leadership.js';

type PartitionResult = ListOffsetsResponse['topics'][number]['partitions'][number];

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -5n;

function error(partitionIndex: number, code: number, version: number): PartitionResult {
  return version === 0
    ? { partitionIndex, errorCode: code, oldStyleOffsets: [] }
    : { partitionIndex, errorCode: code, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
}

function listPartition(broker: BrokerServices, topic: string, p: ListOffsetsRequest['topics'][number]['partitions'][number], isolationLevel: number, version: number, replicaId: number): PartitionResult {
  const partition = broker.partitions.getPartition(topic, p.partitionIndex);
  if (partition === undefined) return error(p.partitionIndex, unhostedPartitionError(broker, topic, p.partitionIndex), version);
  try {
    partition.checkLeaderEpoch(p.currentLeaderEpoch ?? -1, true);
    const epoch = partition.leaderEpoch;
    const ts = p.timestamp;
    // A follower (replica id >= 0) asks for the leader's log end; everyone else sees the high watermark.
    const latest = replicaId >= 0 ? partition.logEndOffset : isolationLevel === READ_COMMITTED ? partition.lastStableOffset : partition.highWatermark;
    if (version === 0) {
      let offset: bigint;
      if (ts === LATEST_TIMESTAMP) offset = latest;
      else if (ts === EARLIEST_TIMESTAMP) offset = partition.logStartOffset;
      else offset = partition.offsetForTimestamp(ts)?.offset ?? partition.highWatermark;
      const max = p.maxNumOffsets ?? 1;
      return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: max > 0 ? [offset] : [] };
    }
    let result: { timestamp: bigint; offset: bigint; leaderEpoch: number };
    if (ts === LATEST_TIMESTAMP) {
      // read_committed: the last stable offset.
      result = { timestamp: -1n, offset: latest, leaderEpoch: epoch };
    } else if (ts === EARLIEST_TIMESTAMP || ts === EARLIEST_LOCAL_TIMESTAMP) {
      result = { timestamp: -1n, offset: partition.logStartOffset, leaderEpoch: epoch };
    } else if (ts === MAX_TIMESTAMP) {
      const m = partition.offsetOfMaxTimestamp();
      result = m === null ? { timestamp: -1n, offset: -1n, leaderEpoch: -1 } : { timestamp: m.timestamp, offset: m.offset, leaderEpoch: m.leaderEpoch };
    } else if (ts === EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
      result = { timestamp: -1n, offset: -1n, leaderEpoch: -1 };
    } else if (ts < 0n) {
      return error(p.partitionIndex, ErrorCode.INVALID_REQUEST, version);
    } else {
      const m = partition.offsetForTimestamp(ts);
      result = m === null ? { timestamp: -1n, offset: -1n, leaderEpoch: -1 } : { timestamp: m.timestamp, offset: m.offset, leaderEpoch: m.leaderEpoch };
    }
    if (version < 4) result.leaderEpoch = -1; // not in the message before v4
    return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, ...result };
  } catch (e) {
    return error(p.partitionIndex, mapError(e).code, version);
  }
}

function handle(ctx: RequestContext, req: ListOffsetsRequest, version: number): ListOffsetsResponse {
  const isolation = req.isolationLevel ?? 0;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name);
      return { name: t.name, partitions: t.partitions.map((p) => (allowed ? listPartition(ctx.broker, t.name, p, isolation, version, req.replicaId) : error(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED, version))) };
    }),
  };
}

export const listOffsetsHandler: ApiHandler<ListOffsetsRequest, ListOffsetsResponse> = {
  apiKey: ApiKey.ListOffsets,
  minVersion: 0,
  maxVersion: 10,
  handle,
};
