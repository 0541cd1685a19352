/**
 * The group coordinator as the broker's handlers use it (Kafka's GroupCoordinatorService): routes
 * each group to its `__consumer_offsets` partition, runs the operation on that shard through the
 * coordinator runtime, and turns NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / write failures
 * into each API's error shape.
 */
import {
  ErrorCode, KafkaError,
  type DeleteGroupsResponse, type DescribeGroupsResponse, type HeartbeatRequest, type JoinGroupRequest, type JoinGroupResponse,
  type ConsumerGroupDescribeResponse, type ConsumerGroupHeartbeatRequest, type ConsumerGroupHeartbeatResponse,
  type LeaveGroupRequest, type LeaveGroupResponse, type ListGroupsResponse, type OffsetCommitRequest, type OffsetCommitResponse,
  type TxnOffsetCommitRequest, type TxnOffsetCommitResponse,
  type OffsetDeleteRequest, type OffsetDeleteResponse, type SyncGroupRequest, type SyncGroupResponse,
} from '@samsa/protocol';
import { mapError } from '../../server/error-mapping.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { partitionForGroup } from '../partitioner.js';
import { appendErrorToResponseError, CoordinatorRuntime, type CoordinatorPartitionWriter } from '../runtime.js';
import { joinError, syncError } from './classic-group.js';
import type { TopicView } from './consumer-group-manager.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import { GroupCoordinatorShard } from './group-coordinator-shard.js';
import type { RequestInfo } from './group-metadata-manager.js';
import { everyPartition, type FetchedOffset } from './offset-metadata-manager.js';

export interface GroupCoordinatorOptions {
  clock: Clock;
  config: GroupCoordinatorConfig;
  writer: CoordinatorPartitionWriter;
  log?: Logger;
  /** Topic names, ids and partition counts (KIP-848 assignments); none by default. */
  topics?: () => TopicView;
}

export interface FetchOffsetsResult {
  errorCode: number;
  topics: Array<{ name: string; partitions: FetchedOffset[] }>;
}

/**
 * The Kafka code for anything an operation threw, as Kafka's handleOperationException reports it:
 * a failed append's own code (a storage error, NOT_ENOUGH_REPLICAS from the partition) becomes
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, so clients look the coordinator up again.
 */
function codeOf(e: unknown): number {
  return appendErrorToResponseError(mapError(e).code);
}

export class GroupCoordinator {
  readonly runtime: CoordinatorRuntime<GroupCoordinatorShard>;
  readonly config: GroupCoordinatorConfig;

  private readonly clock: Clock;

  constructor(opts: GroupCoordinatorOptions) {
    this.config = opts.config;
    this.clock = opts.clock;
    this.numPartitions = opts.config.numPartitions;
    const runtimeOpts: ConstructorParameters<typeof CoordinatorRuntime<GroupCoordinatorShard>>[0] = {
      clock: opts.clock,
      writer: opts.writer,
      newShard: (ctx) => new GroupCoordinatorShard(ctx, opts.config, (e) => mapError(e).code, opts.topics),
      writeTimeoutMs: opts.config.offsetCommitTimeoutMs,
    };
    if (opts.log !== undefined) runtimeOpts.log = opts.log;
    this.runtime = new CoordinatorRuntime(runtimeOpts);
  }

  /** Partitions of `__consumer_offsets`: the config, or the existing topic's count once known. */
  numPartitions: number;

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.numPartitions);
  }

  /** Becomes coordinator of a partition (replays it). */
  loadPartition(partition: number, epoch = 0): Promise<void> {
    return this.runtime.load(partition, epoch);
  }

  unloadPartition(partition: number): void {
    this.runtime.unload(partition);
  }

  close(): void {
    this.runtime.close();
  }

  /** NONE when this broker serves the group now; else NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS. */
  groupStatus(groupId: string): number {
    const p = this.partitionFor(groupId);
    if (this.runtime.isLoaded(p)) return ErrorCode.NONE;
    return this.runtime.isHosted(p) ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NOT_COORDINATOR;
  }

  async joinGroup(info: RequestInfo, req: JoinGroupRequest): Promise<JoinGroupResponse> {
    try {
      return await this.runtime.write(this.partitionFor(req.groupId), (s) => s.groups.join(info, req));
    } catch (e) {
      return joinError(codeOf(e), req.memberId);
    }
  }

  async syncGroup(req: SyncGroupRequest): Promise<SyncGroupResponse> {
    if (req.groupId === '') return syncError(ErrorCode.INVALID_GROUP_ID);
    try {
      return await this.runtime.write(this.partitionFor(req.groupId), (s) => s.groups.sync(req));
    } catch (e) {
      return syncError(codeOf(e));
    }
  }

  heartbeat(req: HeartbeatRequest): number {
    if (req.groupId === '') return ErrorCode.INVALID_GROUP_ID;
    try {
      return this.runtime.mutate(this.partitionFor(req.groupId), (s) => s.groups.heartbeat(req));
    } catch (e) {
      return codeOf(e);
    }
  }

  async leaveGroup(req: LeaveGroupRequest, version: number): Promise<LeaveGroupResponse> {
    if (req.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    try {
      return await this.runtime.write(this.partitionFor(req.groupId), (s) => s.groups.leave(req, version));
    } catch (e) {
      return { errorCode: codeOf(e), members: [] };
    }
  }

  async commitOffsets(req: OffsetCommitRequest, version: number): Promise<OffsetCommitResponse> {
    try {
      if (req.groupId === '') throw new KafkaError(ErrorCode.INVALID_GROUP_ID);
      return await this.runtime.write(this.partitionFor(req.groupId), (s) => s.offsets.commit(req, version));
    } catch (e) {
      return { topics: everyPartition(req.topics, codeOf(e)) };
    }
  }

  /**
   * TxnOffsetCommit (Kafka's commitTransactionalOffsets): with KIP-890 verification the
   * transaction coordinator first confirms the group's partition was added (AddOffsetsToTxn);
   * then the member's generation is checked (KIP-447) and the offsets go into
   * `__consumer_offsets` as a transactional batch of the producer (as Kafka writes them), so
   * they survive a coordinator restart or move; the shard holds them as pending until the
   * transaction's marker commits or drops them.
   */
  async txnCommitOffsets(req: TxnOffsetCommitRequest, version: number): Promise<TxnOffsetCommitResponse['topics']> {
    if (req.groupId === '') return everyPartition(req.topics, ErrorCode.INVALID_GROUP_ID);
    try {
      const txn = { transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch, abortableSupported: version >= 4 };
      return await this.runtime.writeTransactional(this.partitionFor(req.groupId), txn, (s) => s.offsets.commitTransactional(req, version));
    } catch (e) {
      return everyPartition(req.topics, codeOf(e));
    }
  }

  /**
   * A transaction marker for a `__consumer_offsets` partition (WriteTxnMarkers): written through
   * the runtime, so the shard commits or drops the producer's pending offsets in log order once
   * the marker is committed. Throws NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS or the append's
   * error, which the transaction coordinator retries.
   */
  completeTransaction(partition: number, producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean): Promise<void> {
    return this.runtime.writeEndTransactionMarker(partition, { producerId, producerEpoch }, coordinatorEpoch, commit);
  }

  /**
   * Committed offsets of a group (null topics = all). With requireStable, a group with
   * transactional offsets still pending answers UNSTABLE_OFFSET_COMMIT (retriable), as Kafka.
   */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null, requireStable = false): FetchOffsetsResult {
    try {
      const fetched = this.runtime.read(this.partitionFor(groupId), (s) => s.offsets.fetch(groupId, topics, requireStable));
      return { errorCode: ErrorCode.NONE, topics: fetched };
    } catch (e) {
      return { errorCode: codeOf(e), topics: [] };
    }
  }

  async deleteOffsets(req: OffsetDeleteRequest): Promise<OffsetDeleteResponse> {
    try {
      const r = await this.runtime.write(this.partitionFor(req.groupId), (s) => s.offsets.deleteOffsets(req.groupId, req.topics));
      return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
    } catch (e) {
      return { errorCode: codeOf(e), throttleTimeMs: 0, topics: [] };
    }
  }

  deleteGroups(groupIds: readonly string[]): Promise<DeleteGroupsResponse['results']> {
    return Promise.all(groupIds.map(async (groupId) => {
      try {
        const errorCode = await this.runtime.write(this.partitionFor(groupId), (s) => {
          const r = s.deleteGroup(groupId);
          return { records: r.records, response: r.errorCode };
        });
        return { groupId, errorCode };
      } catch (e) {
        return { groupId, errorCode: codeOf(e) };
      }
    }));
  }

  describeGroups(groupIds: readonly string[]): DescribeGroupsResponse['groups'] {
    return groupIds.map((groupId) => {
      try {
        return this.runtime.read(this.partitionFor(groupId), (s) => s.describeGroup(groupId));
      } catch (e) {
        return { errorCode: codeOf(e), groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 };
      }
    });
  }

  /** Groups of every loaded partition; COORDINATOR_LOAD_IN_PROGRESS while any partition loads (as Kafka). */
  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): { errorCode: number; groups: ListGroupsResponse['groups'] } {
    const groups: ListGroupsResponse['groups'] = [];
    let errorCode: number = ErrorCode.NONE;
    for (let p = 0; p < this.numPartitions; p++) {
      if (!this.runtime.isHosted(p)) continue;
      if (!this.runtime.isLoaded(p)) {
        errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
        continue;
      }
      groups.push(...this.runtime.read(p, (s) => s.listGroups(statesFilter, typesFilter)));
    }
    return { errorCode, groups };
  }

  /** KIP-848 heartbeat: join, reconcile, leave. */
  async consumerGroupHeartbeat(info: RequestInfo, req: ConsumerGroupHeartbeatRequest): Promise<ConsumerGroupHeartbeatResponse> {
    try {
      return await this.runtime.write(this.partitionFor(req.groupId), (s) => s.consumerGroups.heartbeat(info, req));
    } catch (e) {
      return { throttleTimeMs: 0, errorCode: codeOf(e), errorMessage: null, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
    }
  }

  consumerGroupDescribe(groupIds: readonly string[]): ConsumerGroupDescribeResponse['groups'] {
    return groupIds.map((groupId) => {
      try {
        return this.runtime.read(this.partitionFor(groupId), (s) => s.consumerGroups.describe(groupId));
      } catch (e) {
        return { errorCode: codeOf(e), errorMessage: null, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [], authorizedOperations: -2147483648 };
      }
    });
  }

  /** Deletes the committed offsets of deleted topics in every loaded partition. */
  onTopicsDeleted(topics: readonly string[]): void {
    if (topics.length === 0) return;
    const names = new Set(topics);
    for (const p of this.runtime.activePartitions()) {
      // Best effort, as in Kafka: offsets left behind expire with their group.
      this.runtime.write(p, (s) => ({ records: s.offsets.tombstonesForTopics(names), response: undefined })).catch(() => {});
    }
  }

  /** Runs the offset/group expiry of every loaded partition now (tests, admin). */
  async expireNow(): Promise<void> {
    await Promise.all(this.runtime.activePartitions().map((p) => this.runtime.write(p, (s) => s.expireNow())));
  }
}
