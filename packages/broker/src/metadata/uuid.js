import { randomBytes } from 'node:crypto';
/** Kafka's Uuid.ZERO_UUID / "no topic id". */
export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
function toDashed(b) {
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
/**
 * A random Kafka Uuid (16 random bytes, as Kafka's Uuid.randomUuid: version-4 bits set), never
 * the zero uuid nor one whose base64 form starts with '-' (Kafka avoids those so ids are
 * usable as command-line arguments).
 */
export function randomUuidBytes() {
    for (;;) {
        const b = randomBytes(16);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        if (b.toString('base64url').startsWith('-'))
            continue;
        return b;
    }
}
/** Topic ids travel as 16 bytes; inside Samsa they are dashed hex strings (Reader.uuid form). */
export function randomTopicId() {
    return toDashed(randomUuidBytes());
}
/** Cluster ids are Kafka Uuids in 22-char base64url form (as `kafka-storage random-uuid`). */
export function randomClusterId() {
    return randomUuidBytes().toString('base64url');
}
export function uuidToBase64(dashed) {
    return Buffer.from(dashed.replace(/-/g, ''), 'hex').toString('base64url');
}
export function base64ToUuid(b64) {
    return toDashed(Buffer.from(b64, 'base64url'));
}
//# sourceMappingURL=uuid.js.map