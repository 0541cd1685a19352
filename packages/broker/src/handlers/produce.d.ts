/**
 * Produce (0). Advertised v0-v11 (librdkafka decides compression support from the advertised
 * minimum, KAFKA-18659) but v0-v2 (magic 0/1 message sets) are refused like Kafka 4: the
 * router closes the connection. Records are validated by their header only (size, magic,
 * CRC32C, counts) and appended as they came: no decompression, no copy, offsets in place.
 * acks=0 gets no response; an error with acks=0 closes the connection so the client notices.
 * acks=all checks min.insync.replicas before appending (NOT_ENOUGH_REPLICAS) and answers once the
 * high watermark passes the batch (at once on a single replica; REQUEST_TIMED_OUT after timeoutMs).
 */
import { type ProduceRequest, type ProduceResponse } from '@samsa/protocol';
import { type ApiHandler } from './types.js';
type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];
/** Why a batch is refused, as (code, message); null when it is fine. */
export declare function validateBatch(buf: Buffer | null, maxMessageBytes: number, nowMs: number, timestampAfterMaxMs: number, timestampBeforeMaxMs: number): {
    code: number;
    message: string;
} | null;
/**
 * Compacted topics need a key on every record (Kafka's LogValidator). Only batches for compacted
 * topics come here: their records are decoded (decompressed if needed), as Kafka does too.
 * Returns the partition's INVALID_RECORD response, or null when every record has a key.
 */
export declare function rejectKeylessRecords(batch: Buffer, index: number, topic: string): PartitionResponse | null;
export declare const produceHandler: ApiHandler<ProduceRequest, ProduceResponse>;
export {};
