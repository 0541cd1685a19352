/**
 * The records of `__consumer_offsets`, in Kafka's format: key = int16 record type (the key
 * schema's version) + the key struct; value = int16 value version + the value struct; a null
 * value is a tombstone. Kafka writes OffsetCommitKey as type 1 and GroupMetadataKey as type 2;
 * OffsetCommitValue as v3 (v1 when it carries an expire timestamp), GroupMetadataValue as v3.
 * Types 3-8 are the KIP-848 consumer-group records (value version 0); later types (share
 * groups) are decoded as `other` and skipped.
 */
import { Reader, Writer, decodeConsumerGroupCurrentMemberAssignmentKey, decodeConsumerGroupCurrentMemberAssignmentValue, decodeConsumerGroupMemberMetadataKey, decodeConsumerGroupMemberMetadataValue, decodeConsumerGroupMetadataKey, decodeConsumerGroupMetadataValue, decodeConsumerGroupPartitionMetadataKey, decodeConsumerGroupPartitionMetadataValue, decodeConsumerGroupTargetAssignmentMemberKey, decodeConsumerGroupTargetAssignmentMemberValue, decodeConsumerGroupTargetAssignmentMetadataKey, decodeConsumerGroupTargetAssignmentMetadataValue, encodeConsumerGroupCurrentMemberAssignmentKey, encodeConsumerGroupCurrentMemberAssignmentValue, encodeConsumerGroupMemberMetadataKey, encodeConsumerGroupMemberMetadataValue, encodeConsumerGroupMetadataKey, encodeConsumerGroupMetadataValue, encodeConsumerGroupPartitionMetadataKey, encodeConsumerGroupPartitionMetadataValue, encodeConsumerGroupTargetAssignmentMemberKey, encodeConsumerGroupTargetAssignmentMemberValue, encodeConsumerGroupTargetAssignmentMetadataKey, encodeConsumerGroupTargetAssignmentMetadataValue, decodeGroupMetadataKey, decodeGroupMetadataValue, decodeOffsetCommitKey, decodeOffsetCommitValue, encodeGroupMetadataKey, encodeGroupMetadataValue, encodeOffsetCommitKey, encodeOffsetCommitValue, } from '@samsa/protocol';
export const OFFSET_COMMIT_KEY_TYPE = 1;
export const GROUP_METADATA_KEY_TYPE = 2;
export const GROUP_METADATA_VALUE_VERSION = 3;
const CG_KEY_TYPE = {
    'cg-metadata': 3, 'cg-partition-metadata': 4, 'cg-member-metadata': 5, 'cg-target-metadata': 6, 'cg-target-member': 7, 'cg-current-member': 8,
};
/** Encodes a KIP-848 record (value null = tombstone). */
export function consumerGroupRecord(r) {
    const t = CG_KEY_TYPE[r.type];
    const k = new Writer(64).int16(t);
    const v = r.value === null ? null : new Writer(128).int16(0);
    switch (r.type) {
        case 'cg-metadata':
            encodeConsumerGroupMetadataKey(k, t, { groupId: r.groupId });
            if (v !== null)
                encodeConsumerGroupMetadataValue(v, 0, r.value);
            break;
        case 'cg-partition-metadata':
            encodeConsumerGroupPartitionMetadataKey(k, t, { groupId: r.groupId });
            if (v !== null)
                encodeConsumerGroupPartitionMetadataValue(v, 0, r.value);
            break;
        case 'cg-member-metadata':
            encodeConsumerGroupMemberMetadataKey(k, t, { groupId: r.groupId, memberId: r.memberId });
            if (v !== null)
                encodeConsumerGroupMemberMetadataValue(v, 0, r.value);
            break;
        case 'cg-target-metadata':
            encodeConsumerGroupTargetAssignmentMetadataKey(k, t, { groupId: r.groupId });
            if (v !== null)
                encodeConsumerGroupTargetAssignmentMetadataValue(v, 0, r.value);
            break;
        case 'cg-target-member':
            encodeConsumerGroupTargetAssignmentMemberKey(k, t, { groupId: r.groupId, memberId: r.memberId });
            if (v !== null)
                encodeConsumerGroupTargetAssignmentMemberValue(v, 0, r.value);
            break;
        case 'cg-current-member':
            encodeConsumerGroupCurrentMemberAssignmentKey(k, t, { groupId: r.groupId, memberId: r.memberId });
            if (v !== null)
                encodeConsumerGroupCurrentMemberAssignmentValue(v, 0, r.value);
            break;
    }
    return { key: k.toBuffer(), value: v === null ? null : v.toBuffer() };
}
function decodeConsumerGroupRecord(keyType, kr, value) {
    const vr = value === null ? null : new Reader(value);
    if (vr !== null)
        vr.int16(); // value version: 0 is the only one
    switch (keyType) {
        case 3: return { type: 'cg-metadata', groupId: decodeConsumerGroupMetadataKey(kr, 3).groupId, value: vr && decodeConsumerGroupMetadataValue(vr, 0) };
        case 4: return { type: 'cg-partition-metadata', groupId: decodeConsumerGroupPartitionMetadataKey(kr, 4).groupId, value: vr && decodeConsumerGroupPartitionMetadataValue(vr, 0) };
        case 5: {
            const k = decodeConsumerGroupMemberMetadataKey(kr, 5);
            return { type: 'cg-member-metadata', groupId: k.groupId, memberId: k.memberId, value: vr && decodeConsumerGroupMemberMetadataValue(vr, 0) };
        }
        case 6: return { type: 'cg-target-metadata', groupId: decodeConsumerGroupTargetAssignmentMetadataKey(kr, 6).groupId, value: vr && decodeConsumerGroupTargetAssignmentMetadataValue(vr, 0) };
        case 7: {
            const k = decodeConsumerGroupTargetAssignmentMemberKey(kr, 7);
            return { type: 'cg-target-member', groupId: k.groupId, memberId: k.memberId, value: vr && decodeConsumerGroupTargetAssignmentMemberValue(vr, 0) };
        }
        case 8: {
            const k = decodeConsumerGroupCurrentMemberAssignmentKey(kr, 8);
            return { type: 'cg-current-member', groupId: k.groupId, memberId: k.memberId, value: vr && decodeConsumerGroupCurrentMemberAssignmentValue(vr, 0) };
        }
        default: return null;
    }
}
export function offsetCommitRecord(group, topic, partition, value) {
    const version = value.expireTimestamp !== undefined && value.expireTimestamp >= 0n ? 1 : 3;
    const v = new Writer(64).int16(version);
    encodeOffsetCommitValue(v, version, value);
    return { key: offsetCommitKey(group, topic, partition), value: v.toBuffer() };
}
export function offsetCommitTombstone(group, topic, partition) {
    return { key: offsetCommitKey(group, topic, partition), value: null };
}
function offsetCommitKey(group, topic, partition) {
    const w = new Writer(64).int16(OFFSET_COMMIT_KEY_TYPE);
    encodeOffsetCommitKey(w, OFFSET_COMMIT_KEY_TYPE, { group, topic, partition });
    return w.toBuffer();
}
export function groupMetadataRecord(group, value) {
    const v = new Writer(256).int16(GROUP_METADATA_VALUE_VERSION);
    encodeGroupMetadataValue(v, GROUP_METADATA_VALUE_VERSION, value);
    return { key: groupMetadataKey(group), value: v.toBuffer() };
}
export function groupMetadataTombstone(group) {
    return { key: groupMetadataKey(group), value: null };
}
function groupMetadataKey(group) {
    const w = new Writer(32).int16(GROUP_METADATA_KEY_TYPE);
    encodeGroupMetadataKey(w, GROUP_METADATA_KEY_TYPE, { group });
    return w.toBuffer();
}
/** Decodes one record of the internal topic; throws ProtocolDecodeError on malformed bytes. */
export function decodeCoordinatorRecord(key, value) {
    const kr = new Reader(key);
    const keyType = kr.int16();
    if (keyType === 0 || keyType === 1) {
        const k = decodeOffsetCommitKey(kr, keyType);
        if (value === null)
            return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: null };
        const vr = new Reader(value);
        const version = vr.int16();
        // Newer value versions stay readable: fields are only ever appended, so read as the highest we know.
        return { type: 'offset', group: k.group, topic: k.topic, partition: k.partition, value: decodeOffsetCommitValue(vr, Math.min(version, 4)) };
    }
    if (keyType === GROUP_METADATA_KEY_TYPE) {
        const k = decodeGroupMetadataKey(kr, keyType);
        if (value === null)
            return { type: 'group', group: k.group, value: null };
        const vr = new Reader(value);
        const version = vr.int16();
        return { type: 'group', group: k.group, value: decodeGroupMetadataValue(vr, Math.min(version, 4)) };
    }
    return decodeConsumerGroupRecord(keyType, kr, value) ?? { type: 'other', keyType };
}
//# sourceMappingURL=records.js.map