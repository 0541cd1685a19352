/**
 * DeleteRecords (21). v0-v2. Moves each partition's log start offset up to the requested
 * offset (-1 = the high watermark); whole segments below it are deleted. An offset past the
 * high watermark (or below -1) is OFFSET_OUT_OF_RANGE. The answer carries the new low
 * watermark (the log start offset, on a single node). Internal topics are refused and a
 * compact-only topic is a POLICY_VIOLATION, as in Kafka.
 */
import { ApiKey, ErrorCode, type DeleteRecordsRequest, type DeleteRecordsResponse } from '@samsa/protocol';
import { isInternalTopic } from '../metadata/topic-name.js';
import { mapError } from '../server/error-mapping.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';

type PartitionResult = DeleteRecordsResponse['topics'][number]['partitions'][number];

/** DeleteRecords' "up to the high watermark". */
export const HIGH_WATERMARK_OFFSET = -1n;

function failed(partitionIndex: number, errorCode: number): PartitionResult {
  return { partitionIndex, lowWatermark: -1n, errorCode };
}

function deletePartition(broker: BrokerServices, topic: string, partitionIndex: number, offset: bigint): PartitionResult {
  const hosted = broker.partitions.topic(topic);
  const partition = hosted?.partitions[partitionIndex];
  if (hosted === undefined || partition === undefined) return failed(partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (isInternalTopic(topic)) return failed(partitionIndex, ErrorCode.INVALID_TOPIC_EXCEPTION);
  const policy = hosted.config.get('cleanup.policy') as string[];
  if (!policy.includes('delete')) return failed(partitionIndex, ErrorCode.POLICY_VIOLATION);
  try {
    const target = offset === HIGH_WATERMARK_OFFSET ? partition.highWatermark : offset;
    return { partitionIndex, lowWatermark: partition.deleteRecordsOnLeader(target), errorCode: ErrorCode.NONE };
  } catch (e) {
    const m = mapError(e);
    if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`Error deleting records of ${topic}-${partitionIndex}`, e);
    return failed(partitionIndex, m.code);
  }
}

function handle(ctx: RequestContext, req: DeleteRecordsRequest, _version: number): DeleteRecordsResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => (allowed ? deletePartition(ctx.broker, t.name, p.partitionIndex, p.offset) : failed(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED))),
      };
    }),
  };
}

export const deleteRecordsHandler: ApiHandler<DeleteRecordsRequest, DeleteRecordsResponse> = {
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle,
};
