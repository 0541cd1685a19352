/**
 * The records of `__consumer_offsets`, in Kafka's format: key = int16 record type (the key
 * schema's version) + the key struct; value = int16 value version + the value struct; a null
 * value is a tombstone. Kafka writes OffsetCommitKey as type 1 and GroupMetadataKey as type 2;
 * OffsetCommitValue as v3 (v1 when it carries an expire timestamp), GroupMetadataValue as v3.
 * Types 3-8 are the KIP-848 consumer-group records (value version 0); later types (share
 * groups) are decoded as `other` and skipped.
 */
import { type ConsumerGroupCurrentMemberAssignmentValue, type ConsumerGroupMemberMetadataValue, type ConsumerGroupMetadataValue, type ConsumerGroupPartitionMetadataValue, type ConsumerGroupTargetAssignmentMemberValue, type ConsumerGroupTargetAssignmentMetadataValue, type GroupMetadataValue, type OffsetCommitValue } from '@samsa/protocol';
export declare const OFFSET_COMMIT_KEY_TYPE = 1;
export declare const GROUP_METADATA_KEY_TYPE = 2;
export declare const GROUP_METADATA_VALUE_VERSION = 3;
/** A record as written to the log: serialized key and (nullable) value. */
export interface CoordinatorRecord {
    key: Buffer;
    value: Buffer | null;
}
export type DecodedCoordinatorRecord = {
    type: 'offset';
    group: string;
    topic: string;
    partition: number;
    value: OffsetCommitValue | null;
} | {
    type: 'group';
    group: string;
    value: GroupMetadataValue | null;
} | ConsumerGroupRecord | {
    type: 'other';
    keyType: number;
};
/** KIP-848 consumer group records (key types 3-8, value version 0). */
export type ConsumerGroupRecord = {
    type: 'cg-metadata';
    groupId: string;
    value: ConsumerGroupMetadataValue | null;
} | {
    type: 'cg-partition-metadata';
    groupId: string;
    value: ConsumerGroupPartitionMetadataValue | null;
} | {
    type: 'cg-member-metadata';
    groupId: string;
    memberId: string;
    value: ConsumerGroupMemberMetadataValue | null;
} | {
    type: 'cg-target-metadata';
    groupId: string;
    value: ConsumerGroupTargetAssignmentMetadataValue | null;
} | {
    type: 'cg-target-member';
    groupId: string;
    memberId: string;
    value: ConsumerGroupTargetAssignmentMemberValue | null;
} | {
    type: 'cg-current-member';
    groupId: string;
    memberId: string;
    value: ConsumerGroupCurrentMemberAssignmentValue | null;
};
/** Encodes a KIP-848 record (value null = tombstone). */
export declare function consumerGroupRecord(r: ConsumerGroupRecord): CoordinatorRecord;
export declare function offsetCommitRecord(group: string, topic: string, partition: number, value: OffsetCommitValue): CoordinatorRecord;
export declare function offsetCommitTombstone(group: string, topic: string, partition: number): CoordinatorRecord;
export declare function groupMetadataRecord(group: string, value: GroupMetadataValue): CoordinatorRecord;
export declare function groupMetadataTombstone(group: string): CoordinatorRecord;
/** Decodes one record of the internal topic; throws ProtocolDecodeError on malformed bytes. */
export declare function decodeCoordinatorRecord(key: Buffer, value: Buffer | null): DecodedCoordinatorRecord;
