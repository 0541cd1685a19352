/**
 * DescribeProducers (61), v0: the active idempotent/transactional producers of each requested
 * partition (producer id, epoch, last sequence, last timestamp, coordinator epoch, open
 * transaction start), as kafka-transactions.sh describe-producers shows them. A partition this
 * broker does not host is UNKNOWN_TOPIC_OR_PARTITION (Kafka answers NOT_LEADER_OR_FOLLOWER only
 * for partitions that exist elsewhere; on a single node there are none).
 */
import {
  ApiKey, ErrorCode,
  type DescribeProducersRequest, type DescribeProducersResponse, type DescribeProducersResponsePartitionResponse,
} from '@samsa/protocol';
import { mapError } from '../server/error-mapping.js';
import { unhostedPartitionError } from '../server/leadership.js';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';

function handle(ctx: RequestContext, req: DescribeProducersRequest, _version: number): DescribeProducersResponse {
  const broker = ctx.broker;
  const producers = broker.producers;
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => {
      const allowed = authorize(ctx, AclOperation.READ, ResourceType.TOPIC, t.name);
      return {
        name: t.name,
        partitions: t.partitionIndexes.map((index): DescribeProducersResponsePartitionResponse => {
          if (!allowed) return { partitionIndex: index, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
          const partition = broker.partitions.getPartition(t.name, index);
          if (partition === undefined) return { partitionIndex: index, errorCode: unhostedPartitionError(broker, t.name, index), errorMessage: null, activeProducers: [] };
          if (producers === null) return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: [] };
          try {
            partition.checkLeaderEpoch(-1, true);
            return { partitionIndex: index, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: producers.activeProducers(partition.log) };
          } catch (e) {
            const m = mapError(e);
            if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`DescribeProducers failed for ${t.name}-${index}`, e);
            return { partitionIndex: index, errorCode: m.code, errorMessage: m.message, activeProducers: [] };
          }
        }),
      };
    }),
  };
}

export const describeProducersHandler: ApiHandler<DescribeProducersRequest, DescribeProducersResponse> = {
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle,
};
