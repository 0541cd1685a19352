/** Kafka's Uuid.ZERO_UUID / "no topic id". */
export declare const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
/**
 * A random Kafka Uuid (16 random bytes, as Kafka's Uuid.randomUuid: version-4 bits set), never
 * the zero uuid nor one whose base64 form starts with '-' (Kafka avoids those so ids are
 * usable as command-line arguments).
 */
export declare function randomUuidBytes(): Buffer;
/** Topic ids travel as 16 bytes; inside Samsa they are dashed hex strings (Reader.uuid form). */
export declare function randomTopicId(): string;
/** Cluster ids are Kafka Uuids in 22-char base64url form (as `kafka-storage random-uuid`). */
export declare function randomClusterId(): string;
export declare function uuidToBase64(dashed: string): string;
export declare function base64ToUuid(b64: string): string;
