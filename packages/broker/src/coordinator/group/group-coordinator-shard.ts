/**
 * One `__consumer_offsets` partition's worth of group state (Kafka's GroupCoordinatorShard):
 * the classic groups and the committed offsets of every group hashed to that partition.
 */
import { ErrorCode } from '@samsa/protocol';
import { decodeCoordinatorRecord, groupMetadataTombstone, type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, CoordinatorShard, ShardContext } from '../runtime.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import { ConsumerGroupManager, EMPTY_TOPIC_VIEW, type TopicView } from './consumer-group-manager.js';
import { GroupMetadataManager } from './group-metadata-manager.js';
import { OffsetMetadataManager } from './offset-metadata-manager.js';

const EXPIRATION_KEY = 'expire-group-metadata';

export class GroupCoordinatorShard implements CoordinatorShard {
  readonly groups: GroupMetadataManager;
  readonly offsets: OffsetMetadataManager;
  readonly consumerGroups: ConsumerGroupManager;

  constructor(
    private readonly ctx: ShardContext,
    private readonly config: GroupCoordinatorConfig,
    errorCode: (e: unknown) => number,
    topics: () => TopicView = () => EMPTY_TOPIC_VIEW,
  ) {
    this.groups = new GroupMetadataManager(ctx, config, errorCode);
    this.consumerGroups = new ConsumerGroupManager(
      ctx, config, topics,
      (id) => {
        const g = this.groups.groups.get(id);
        return g !== undefined && !g.is('Empty') && !g.is('Dead');
      },
      (id) => this.takeOverClassicGroup(id),
    );
    this.offsets = new OffsetMetadataManager(ctx, config, this.groups, this.consumerGroups);
    this.groups.isConsumerGroup = (id) => this.consumerGroups.groups.has(id);
  }

  /** An empty classic group gives its id to a new consumer group; its GroupMetadata record is deleted. */
  private takeOverClassicGroup(groupId: string): CoordinatorRecord[] {
    const g = this.groups.groups.get(groupId);
    if (g === undefined) return [];
    this.groups.groups.delete(groupId);
    return g.generationId > 0 || g.protocolType !== null ? [groupMetadataTombstone(groupId)] : [];
  }

  replay(record: CoordinatorRecord, offset: bigint, producerId: bigint): void {
    const r = decodeCoordinatorRecord(record.key, record.value);
    if (r.type === 'offset') this.offsets.replayOffset(r.group, r.topic, r.partition, r.value, offset, producerId);
    else if (r.type === 'group') this.groups.replayGroup(r.group, r.value);
    else if (r.type !== 'other') {
      // A consumer group owns its id: an empty classic (or simple) group of that id goes away.
      if (r.value !== null && !this.consumerGroups.groups.has(r.groupId)) {
        const g = this.groups.groups.get(r.groupId);
        if (g !== undefined && g.is('Empty')) this.groups.groups.delete(r.groupId);
      }
      this.consumerGroups.replay(r);
    }
    // Share group records are not served by this coordinator.
  }

  replayEndTransactionMarker(producerId: bigint, commit: boolean): void {
    this.offsets.replayEndTransactionMarker(producerId, commit);
  }

  onLoaded(): void {
    this.groups.onLoaded();
    this.consumerGroups.onLoaded();
    this.scheduleExpiration();
  }

  /** DescribeGroups (the classic API) of either kind of group. */
  describeGroup(groupId: string): ReturnType<GroupMetadataManager['describe']> {
    const cg = this.consumerGroups.groups.get(groupId);
    if (cg === undefined) return this.groups.describe(groupId);
    return {
      errorCode: ErrorCode.NONE, groupId, groupState: cg.state, protocolType: 'consumer', protocolData: '', authorizedOperations: -2147483648,
      members: [...cg.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) })),
    };
  }

  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ReturnType<GroupMetadataManager['list']> {
    return [...this.groups.list(statesFilter, typesFilter), ...this.consumerGroups.list(statesFilter, typesFilter)];
  }

  onUnloaded(): void {
    this.groups.onUnloaded();
  }

  private scheduleExpiration(): void {
    this.ctx.timer.schedule(EXPIRATION_KEY, this.config.offsetsRetentionCheckIntervalMs, () => this.expireNow());
  }

  /** One expiry pass (the timer runs it every offsets.retention.check.interval.ms). */
  expireNow(): CoordinatorResult<void> {
    const records = this.offsets.expire();
    this.scheduleExpiration();
    return { records, response: undefined };
  }

  /** DeleteGroups for one group: GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP, or the tombstones that delete it. */
  deleteGroup(groupId: string): { errorCode: number; records: CoordinatorRecord[] } {
    const cg = this.consumerGroups.groups.get(groupId);
    if (cg !== undefined) {
      if (cg.members.size > 0) return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
      return { errorCode: ErrorCode.NONE, records: [...this.offsets.tombstones(groupId), ...this.consumerGroups.tombstones(cg)] };
    }
    const group = this.groups.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, records: [] };
    if (!group.is('Empty')) return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
    return { errorCode: ErrorCode.NONE, records: [...this.offsets.tombstones(groupId), groupMetadataTombstone(groupId)] };
  }
}
