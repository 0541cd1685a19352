import { type CoordinatorRecord } from '../records.js';
import type { CoordinatorResult, CoordinatorShard, ShardContext } from '../runtime.js';
import type { GroupCoordinatorConfig } from './group-config.js';
import { ConsumerGroupManager, type TopicView } from './consumer-group-manager.js';
import { GroupMetadataManager } from './group-metadata-manager.js';
import { OffsetMetadataManager } from './offset-metadata-manager.js';
export declare class GroupCoordinatorShard implements CoordinatorShard {
    private readonly ctx;
    private readonly config;
    readonly groups: GroupMetadataManager;
    readonly offsets: OffsetMetadataManager;
    readonly consumerGroups: ConsumerGroupManager;
    constructor(ctx: ShardContext, config: GroupCoordinatorConfig, errorCode: (e: unknown) => number, topics?: () => TopicView);
    /** An empty classic group gives its id to a new consumer group; its GroupMetadata record is deleted. */
    private takeOverClassicGroup;
    replay(record: CoordinatorRecord): void;
    onLoaded(): void;
    /** DescribeGroups (the classic API) of either kind of group. */
    describeGroup(groupId: string): ReturnType<GroupMetadataManager['describe']>;
    listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): ReturnType<GroupMetadataManager['list']>;
    onUnloaded(): void;
    private scheduleExpiration;
    /** One expiry pass (the timer runs it every offsets.retention.check.interval.ms). */
    expireNow(): CoordinatorResult<void>;
    /** DeleteGroups for one group: GROUP_ID_NOT_FOUND / NON_EMPTY_GROUP, or the tombstones that delete it. */
    deleteGroup(groupId: string): {
        errorCode: number;
        records: CoordinatorRecord[];
    };
}
