/**
 * Exactly-once consume-transform-produce: each poll's records are transformed and their output
 * written in one transaction together with the input offsets (sendOffsetsToTransaction with the
 * consumer's group metadata), so a crash at any point leaves either all of a poll's effects or
 * none. After an abortable error the transaction is aborted and the poll's input read again.
 */
import type { ConsumedMessage, Consumer, FetchedBatch } from './consumer.js';
import { ClientError, ClientErrorCode } from './errors.js';
import type { Message, Producer } from './producer.js';

/** One output record: a message and the topic it goes to. */
export type TransformOutput = Message & { topic: string };

export interface TransformOptions {
  /** Subscribed to the input topics with a groupId and enableAutoCommit: false (read_committed to chain transforms). */
  consumer: Consumer;
  /** A producer with a transactionalId; initTransactions() is called if it was not. */
  producer: Producer;
  /** Maps one input record to zero, one or several outputs. */
  transform: (message: ConsumedMessage) => TransformOutput | TransformOutput[] | null | undefined | Promise<TransformOutput | TransformOutput[] | null | undefined>;
  /** Ends the loop after the transaction in progress. */
  signal?: AbortSignal;
  /** How long one poll waits for records (default 1000 ms). */
  pollTimeoutMs?: number;
  /** Called after each committed transaction. */
  onCommit?: (info: { records: number; outputs: number }) => void;
  /** Called after an aborted transaction whose input will be read again. */
  onAbort?: (err: Error) => void;
}

/**
 * Runs the loop until `signal` aborts or the consumer closes. A fatal producer error
 * (PRODUCER_FENCED: another instance took over the transactional.id) or an error thrown by
 * `transform` ends it (after aborting the open transaction) and rejects.
 */
export async function runTransform(opts: TransformOptions): Promise<void> {
  const { consumer, producer, transform } = opts;
  if (consumer.autoCommit) throw new ClientError(ClientErrorCode.CONFIG, 'runTransform commits offsets in the transaction: the consumer needs enableAutoCommit: false');
  if (producer.transactionState === null) throw new ClientError(ClientErrorCode.CONFIG, 'runTransform needs a producer with a transactionalId');
  // Before the first poll: fencing the previous instance aborts its open transaction, so the
  // committed offsets this consumer starts from are stable.
  if (producer.transactionState === 'UNINITIALIZED') await producer.initTransactions();
  const stopped = (): boolean => opts.signal?.aborted === true || consumer.isClosed;
  while (!stopped()) {
    const batches = await consumer.poll(opts.pollTimeoutMs ?? 1000);
    if (batches.length === 0) continue;
    producer.beginTransaction();
    let outputs = 0;
    let transformError: unknown = null;
    try {
      for (const b of batches) {
        for (const m of b.messages) {
          let out: Awaited<ReturnType<typeof transform>>;
          try {
            out = await transform(m);
          } catch (err) {
            transformError = err;
            throw err;
          }
          if (out === null || out === undefined) continue;
          for (const o of Array.isArray(out) ? out : [out]) {
            const wait = producer.produce(o.topic, o.value, o.key, o.partition, o.headers);
            if (wait !== undefined) await wait;
            outputs++;
          }
        }
      }
      await producer.sendOffsetsToTransaction(nextOffsets(batches), consumer.groupMetadata());
      await producer.commitTransaction();
    } catch (err) {
      if (producer.transactionState === 'FATAL_ERROR') throw err;
      await producer.abortTransaction();
      consumer.rewind(batches.map((batch) => ({ batch, from: 0 })));
      if (transformError !== null) throw transformError;
      opts.onAbort?.(err as Error);
      continue;
    }
    opts.onCommit?.({ records: batches.reduce((n, b) => n + b.messages.length, 0), outputs });
  }
}

/** Per partition, the offset after the last record of the poll. */
function nextOffsets(batches: FetchedBatch[]): Array<{ topic: string; partition: number; offset: bigint }> {
  const next = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const b of batches) {
    const last = b.messages[b.messages.length - 1];
    if (last !== undefined) next.set(`${b.topic}\u0000${b.partition}`, { topic: b.topic, partition: b.partition, offset: last.offset + 1n });
  }
  return [...next.values()];
}

