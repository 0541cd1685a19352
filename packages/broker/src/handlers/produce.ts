/**
 * Produce (0). Advertised v0-v11 (librdkafka decides compression support from the advertised
 * minimum, KAFKA-18659) but v0-v2 (magic 0/1 message sets) are refused like Kafka 4: the
 * router closes the connection. Records are validated by their header only (size, magic,
 * CRC32C, counts) and appended as they came: no decompression, no copy, offsets in place.
 * acks=0 gets no response; an error with acks=0 closes the connection so the client notices.
 * acks=all checks min.insync.replicas before appending (NOT_ENOUGH_REPLICAS) and answers once the
 * high watermark passes the batch (at once on a single replica; REQUEST_TIMED_OUT after timeoutMs).
 * KIP-890 part 1 (transaction.partition.verification.enable): a producer's first transactional
 * batch in a partition is appended only once its transaction coordinator confirms the partition
 * is in the ongoing transaction (TRANSACTION_ABORTABLE otherwise, INVALID_TXN_STATE before v11, as Kafka).
 */
import { ApiKey, ErrorCode, errorByCode, type ProduceRequest, type ProduceResponse } from '@samsa/protocol';
import {
  ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_ATTRIBUTES, batchProducerEpoch, batchProducerId, BATCH_BASE_TIMESTAMP, BATCH_CRC, BATCH_HEADER_SIZE, BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH, BATCH_LOG_OVERHEAD, BATCH_MAGIC, BATCH_MAX_TIMESTAMP, BATCH_RECORD_COUNT, CodecUnavailableError, crc32c, decodeRecordBatch,
} from '@samsa/protocol/records';
import { type AppendVerification, verificationErrorFor } from '../coordinator/transaction/verification.js';
import { isInternalTopic } from '../metadata/topic-name.js';
import type { HostedTopic, ProduceWait } from '../cluster/replica-manager.js';
import { unhostedPartitionError } from '../server/leadership.js';
import { CloseConnection } from '../server/connection.js';
import { mapError } from '../server/error-mapping.js';
import { NO_RESPONSE, type ApiHandler, type BrokerServices, type RequestContext } from './types.js';
import { AclOperation, authorize, ResourceType } from '../security/authorize.js';

type PartitionResponse = ProduceResponse['responses'][number]['partitionResponses'][number];

/** Why a batch is refused, as (code, message); null when it is fine. */
export function validateBatch(buf: Buffer | null, maxMessageBytes: number, nowMs: number, timestampAfterMaxMs: number, timestampBeforeMaxMs: number): { code: number; message: string } | null {
  if (buf === null || buf.length === 0) return { code: ErrorCode.INVALID_RECORD, message: 'Produce request has no record batch' };
  if (buf.length < BATCH_HEADER_SIZE) return { code: ErrorCode.CORRUPT_MESSAGE, message: `Record batch of ${buf.length} bytes is shorter than a batch header` };
  const magic = buf.readInt8(BATCH_MAGIC);
  if (magic !== 2) return { code: ErrorCode.INVALID_RECORD, message: `Produce requests with version 3+ are only allowed to contain record batches with magic version 2 (got ${magic})` };
  const size = BATCH_LOG_OVERHEAD + buf.readInt32BE(BATCH_LENGTH);
  if (size !== buf.length) {
    if (size < BATCH_HEADER_SIZE || size > buf.length) return { code: ErrorCode.CORRUPT_MESSAGE, message: `Record batch length ${size} does not match the ${buf.length} bytes sent` };
    return { code: ErrorCode.INVALID_RECORD, message: 'Produce requests with version 3+ are only allowed to contain exactly one record batch per partition' };
  }
  if (size > maxMessageBytes) return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `The record batch of ${size} bytes exceeds max.message.bytes (${maxMessageBytes})` };
  const crc = buf.readUInt32BE(BATCH_CRC);
  if (crc32c(buf.subarray(BATCH_ATTRIBUTES)) !== crc) return { code: ErrorCode.CORRUPT_MESSAGE, message: 'Record batch CRC does not match its contents' };
  const count = buf.readInt32BE(BATCH_RECORD_COUNT);
  const lastOffsetDelta = buf.readInt32BE(BATCH_LAST_OFFSET_DELTA);
  if (count <= 0) return { code: ErrorCode.INVALID_RECORD, message: 'Record batch has no records' };
  if (lastOffsetDelta < 0 || lastOffsetDelta < count - 1) return { code: ErrorCode.INVALID_RECORD, message: `Record batch lastOffsetDelta ${lastOffsetDelta} is inconsistent with its ${count} records` };
  const attributes = buf.readInt16BE(BATCH_ATTRIBUTES);
  if ((attributes & ATTR_CONTROL) !== 0) return { code: ErrorCode.INVALID_RECORD, message: 'Clients cannot produce control batches' };
  // CreateTime bounds (message.timestamp.after/before.max.ms), checked on the batch's bounds.
  const maxTs = Number(buf.readBigInt64BE(BATCH_MAX_TIMESTAMP));
  if (maxTs > nowMs + timestampAfterMaxMs) return { code: ErrorCode.INVALID_TIMESTAMP, message: `Timestamp ${maxTs} is more than ${timestampAfterMaxMs} ms in the future (message.timestamp.after.max.ms)` };
  if (timestampBeforeMaxMs < Number.MAX_SAFE_INTEGER) {
    const baseTs = Number(buf.readBigInt64BE(BATCH_BASE_TIMESTAMP));
    if (baseTs >= 0 && baseTs < nowMs - timestampBeforeMaxMs) return { code: ErrorCode.INVALID_TIMESTAMP, message: `Timestamp ${baseTs} is more than ${timestampBeforeMaxMs} ms in the past (message.timestamp.before.max.ms)` };
  }
  return null;
}

/** Kafka shows at most this many record errors in the partition's error message. */
const MAX_RECORD_ERRORS_IN_MESSAGE = 3;

/**
 * Compacted topics need a key on every record (Kafka's LogValidator). Only batches for compacted
 * topics come here: their records are decoded (decompressed if needed), as Kafka does too.
 * Returns the partition's INVALID_RECORD response, or null when every record has a key.
 */
export function rejectKeylessRecords(batch: Buffer, index: number, topic: string): PartitionResponse | null {
  let records;
  try {
    records = decodeRecordBatch(batch, 0, { verifyCrc: false }).records;
  } catch (e) {
    const code = e instanceof CodecUnavailableError ? ErrorCode.UNSUPPORTED_COMPRESSION_TYPE : ErrorCode.CORRUPT_MESSAGE;
    return errorResponse(index, code, `Record batch of ${topic}-${index} cannot be decoded: ${(e as Error).message}`);
  }
  const recordErrors: PartitionResponse['recordErrors'] = [];
  const message = `Compacted topic cannot accept message without key in topic partition ${topic}-${index}.`;
  for (let i = 0; i < records.length; i++) {
    if (records[i]!.key === null) recordErrors.push({ batchIndex: i, batchIndexErrorMessage: message });
  }
  if (recordErrors.length === 0) return null;
  const shown = recordErrors.slice(0, MAX_RECORD_ERRORS_IN_MESSAGE).map((r) => `RecordError(batchIndex=${r.batchIndex}, message='${message}')`);
  return {
    ...errorResponse(index, ErrorCode.INVALID_RECORD, `One or more records have been rejected due to ${recordErrors.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`),
    recordErrors,
  };
}

function errorResponse(index: number, code: number, message: string | null): PartitionResponse {
  return { index, errorCode: code, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage: message };
}

/** Kafka's postVerificationCallback: what a producer sees when its partition could not be verified. */
function verificationFailure(index: number, code: number): PartitionResponse {
  if (code === ErrorCode.INVALID_TXN_STATE) return errorResponse(index, code, 'Partition was not added to the transaction');
  switch (code) {
    case ErrorCode.CONCURRENT_TRANSACTIONS:
    case ErrorCode.NETWORK_EXCEPTION:
    case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
    case ErrorCode.COORDINATOR_NOT_AVAILABLE:
    case ErrorCode.NOT_COORDINATOR:
      // Retriable for every client, without a metadata refresh (as Kafka picks NOT_ENOUGH_REPLICAS).
      return errorResponse(index, ErrorCode.NOT_ENOUGH_REPLICAS, `Unable to verify the partition has been added to the transaction. Underlying error: ${errorByCode(code)?.name ?? code}`);
    default:
      return errorResponse(index, code, null);
  }
}

/**
 * The partitions of a transactional produce whose batch starts the producer's transaction there
 * (no transaction of that producer open in the log yet): those need verifying. Null when none.
 */
function partitionsToVerify(broker: BrokerServices, req: ProduceRequest): Array<{ topic: string; partition: number; producerId: bigint; producerEpoch: number }> | null {
  const hook = broker.partitions.appendHook;
  if (hook?.hasOngoingTransaction === undefined || !hook.supportsTransactions) return null;
  let out: Array<{ topic: string; partition: number; producerId: bigint; producerEpoch: number }> | null = null;
  for (const td of req.topicData) {
    const hosted = broker.partitions.topic(td.name);
    for (const pd of td.partitionData) {
      const partition = hosted?.partitions[pd.index];
      const batch = pd.records;
      if (partition === undefined || !partition.isLeader || batch === null || batch.length < BATCH_HEADER_SIZE) continue;
      if ((batch.readInt16BE(BATCH_ATTRIBUTES) & ATTR_TRANSACTIONAL) === 0) continue;
      const producerId = batchProducerId(batch);
      if (producerId < 0n || hook.hasOngoingTransaction(partition.log, producerId)) continue;
      (out ??= []).push({ topic: td.name, partition: pd.index, producerId, producerEpoch: batchProducerEpoch(batch) });
    }
  }
  return out;
}

async function verifyThenHandle(ctx: RequestContext, req: ProduceRequest, version: number, transactionalId: string, toVerify: NonNullable<ReturnType<typeof partitionsToVerify>>): Promise<ProduceResponse | typeof NO_RESPONSE> {
  const broker = ctx.broker;
  // Kafka: one producer id per transactional request.
  const { producerId, producerEpoch } = toVerify[0]!;
  const same = toVerify.filter((v) => v.producerId === producerId);
  const verification = await broker.transactionCoordinator!.verifyAppends(transactionalId, producerId, producerEpoch, same.map((v) => broker.partitions.getPartition(v.topic, v.partition)!));
  for (const v of toVerify) if (v.producerId !== producerId) verification.failed.set(`${v.topic}:${v.partition}`, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  for (const [key, code] of verification.failed) verification.failed.set(key, verificationErrorFor(code, version >= 11));
  return handleVerified(ctx, req, verification);
}

function producePartition(broker: BrokerServices, topic: string, hosted: HostedTopic | undefined, index: number, records: Buffer | null, req: ProduceRequest, nowMs: number, verification: AppendVerification | null): PartitionResponse {
  const partition = hosted?.partitions[index];
  if (hosted === undefined || partition === undefined) return errorResponse(index, unhostedPartitionError(broker, topic, index), null);
  // A leader handing over (controlled shutdown) takes no new writes; the client retries at the next leader.
  if (broker.replication?.isHandingOver(partition.topic, index) === true) return errorResponse(index, ErrorCode.NOT_LEADER_OR_FOLLOWER, null);
  const cfg = hosted.config;
  const invalid = validateBatch(records, cfg.num('max.message.bytes'), nowMs, cfg.num('message.timestamp.after.max.ms'), cfg.num('message.timestamp.before.max.ms'));
  if (invalid !== null) return errorResponse(index, invalid.code, invalid.message);
  const batch = records!;
  if ((cfg.get('cleanup.policy') as string[]).includes('compact')) {
    const keyless = rejectKeylessRecords(batch, index, partition.topic);
    if (keyless !== null) return keyless;
  }
  const hook = broker.partitions.appendHook;
  if ((batch.readInt16BE(BATCH_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0 && (hook === null || !hook.supportsTransactions)) {
    return errorResponse(index, ErrorCode.INVALID_REQUEST, 'Transactional produce is not supported by this broker yet');
  }
  const key = verification === null ? '' : `${partition.topic}:${index}`;
  const failed = verification?.failed.get(key);
  if (failed !== undefined) return verificationFailure(index, failed);
  try {
    const guard = verification?.guards.get(key);
    if (guard !== undefined) partition.checkVerificationGuard(hook, batchProducerId(batch), guard);
    const info = partition.appendRecordsAsLeader(batch, {
      requiredAcks: req.acks, minInsyncReplicas: cfg.num('min.insync.replicas'), nowMs, transactionalId: req.transactionalId ?? null, hook,
      // The connection keeps the request frame until the response passes the durability barrier.
      callerKeepsBatches: true,
    });
    return { index, errorCode: ErrorCode.NONE, baseOffset: info.baseOffset, logAppendTimeMs: info.logAppendTime, logStartOffset: info.logStartOffset, recordErrors: [], errorMessage: null };
  } catch (e) {
    const m = mapError(e);
    if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`Error appending to ${partition.name}`, e);
    return errorResponse(index, m.code, m.message);
  }
}

function handle(ctx: RequestContext, req: ProduceRequest, version: number): ProduceResponse | typeof NO_RESPONSE | Promise<ProduceResponse | typeof NO_RESPONSE> {
  const transactionalId = req.transactionalId ?? null;
  if (transactionalId !== null && ctx.broker.transactionCoordinator != null && ctx.broker.config.bool('transaction.partition.verification.enable')
    && authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId, false)) {
    const toVerify = partitionsToVerify(ctx.broker, req);
    if (toVerify !== null) return verifyThenHandle(ctx, req, version, transactionalId, toVerify);
  }
  return handleVerified(ctx, req, null);
}

function handleVerified(ctx: RequestContext, req: ProduceRequest, verification: AppendVerification | null): ProduceResponse | typeof NO_RESPONSE | Promise<ProduceResponse> {
  const broker = ctx.broker;
  const acks = req.acks;
  const nowMs = broker.clock.now();
  const validAcks = acks === 0 || acks === 1 || acks === -1;
  let anyError = false;
  const responses: ProduceResponse['responses'] = new Array(req.topicData.length);
  const transactionalId = req.transactionalId ?? null;
  const transactionDenied = transactionalId !== null && !authorize(ctx, AclOperation.WRITE, ResourceType.TRANSACTIONAL_ID, transactionalId);
  // acks=all: the appended partitions whose high watermark has to pass the batch.
  let waits: ProduceWait[] | null = null;
  let waiting: PartitionResponse[] | null = null;
  for (let t = 0; t < req.topicData.length; t++) {
    const td = req.topicData[t]!;
    const hosted = broker.partitions.topic(td.name);
    const internal = isInternalTopic(td.name);
    const denied = transactionDenied ? ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED : !authorize(ctx, AclOperation.WRITE, ResourceType.TOPIC, td.name) ? ErrorCode.TOPIC_AUTHORIZATION_FAILED : ErrorCode.NONE;
    const parts: PartitionResponse[] = new Array(td.partitionData.length);
    for (let p = 0; p < td.partitionData.length; p++) {
      const pd = td.partitionData[p]!;
      let r: PartitionResponse;
      if (!validAcks) r = errorResponse(pd.index, ErrorCode.INVALID_REQUIRED_ACKS, null);
      else if (denied !== ErrorCode.NONE) r = errorResponse(pd.index, denied, null);
      else if (internal) r = errorResponse(pd.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${td.name}`);
      else r = producePartition(broker, td.name, hosted, pd.index, pd.records, req, nowMs, verification);
      if (r.errorCode !== ErrorCode.NONE) anyError = true;
      else if (acks === -1) {
        const partition = hosted!.partitions[pd.index]!;
        const requiredOffset = lastOffsetOf(r, pd.records!);
        if (partition.highWatermark < requiredOffset) {
          (waits ??= []).push({ topic: td.name, partition: pd.index, requiredOffset, minInsyncReplicas: hosted!.config.num('min.insync.replicas') });
          (waiting ??= []).push(r);
        }
      }
      parts[p] = r;
    }
    responses[t] = { name: td.name, partitionResponses: parts };
  }
  if (acks === 0) {
    if (anyError) throw new CloseConnection('acks=0 produce request failed; closing so the client refreshes metadata');
    return NO_RESPONSE;
  }
  if (waits === null) return { responses, throttleTimeMs: 0 };
  const pending = waiting!;
  return broker.partitions.awaitHighWatermarks(waits, req.timeoutMs).then((codes) => {
    for (let i = 0; i < codes.length; i++) {
      if (codes[i] === ErrorCode.NONE) continue;
      const r = pending[i]!;
      r.errorCode = codes[i]!;
      r.baseOffset = -1n;
      r.logAppendTimeMs = -1n;
      r.logStartOffset = -1n;
    }
    return { responses, throttleTimeMs: 0 };
  });
}

/** The offset after the appended batch (the HW an acks=all produce waits for). */
function lastOffsetOf(r: PartitionResponse, batch: Buffer): bigint {
  return r.baseOffset + BigInt(batch.readInt32BE(BATCH_LAST_OFFSET_DELTA)) + 1n;
}

export const produceHandler: ApiHandler<ProduceRequest, ProduceResponse> = {
  apiKey: ApiKey.Produce,
  minVersion: 0,
  minServedVersion: 3,
  maxVersion: 11,
  handle,
};
