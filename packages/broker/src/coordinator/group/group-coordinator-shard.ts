/**
 * One `__consumer_offsets` partition's worth of group state (Kafka's GroupCoordinatorShard):
 * the classic groups and the committed offsets of every group hashed to that partition.
 */
import { ErrorCode } from '@samsa/protocol';
import { decodeCoordinatorRecord, groupMetadataTombstone, type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, CoordinatorShard, ShardContext } from '../runtime.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import { GroupMetadataManager } from './group-metadata-manager.js';
import { OffsetMetadataManager } from './offset-metadata-manager.js';

const EXPIRATION_KEY = 'expire-group-metadata';

export class GroupCoordinatorShard implements CoordinatorShard {
  readonly groups: GroupMetadataManager;
  readonly offsets: OffsetMetadataManager;

  constructor(private readonly ctx: ShardContext, private readonly config: GroupCoordinatorConfig, errorCode: (e: unknown) => number) {
    this.groups = new GroupMetadataManager(ctx, config, errorCode);
    this.offsets = new OffsetMetadataManager(ctx, config, this.groups);
  }

  replay(record: CoordinatorRecord): void {
    const r = decodeCoordinatorRecord(record.key, record.value);
    if (r.type === 'offset') this.offsets.replayOffset(r.group, r.topic, r.partition, r.value);
    else if (r.type === 'group') {
      if (r.value === null) this.offsets.removeGroupOffsets(r.group);
      this.groups.replayGroup(r.group, r.value);
    }
    // Other record types (KIP-848 consumer groups, share groups) are not served by this coordinator.
  }

  onLoaded(): void {
    this.groups.onLoaded();
    this.scheduleExpiration();
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
    const group = this.groups.groups.get(groupId);
    if (group === undefined || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, records: [] };
    if (!group.is('Empty')) return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
    return { errorCode: ErrorCode.NONE, records: [...this.offsets.tombstones(groupId), groupMetadataTombstone(groupId)] };
  }
}
