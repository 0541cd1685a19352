/**
 * Producer id allocation (Kafka's ProducerIdManager). Ids are handed out from blocks of
 * PRODUCER_ID_BLOCK_SIZE reserved in the metadata store with a compare-and-swap on one key, so
 * an id is never given twice: not across restarts (the reserved block is persisted before any id
 * of it is used; ids left in a block at shutdown are skipped) and not across brokers sharing a
 * store. The stored value mirrors ZooKeeper-mode Kafka's /latest_producer_id_block.
 */
import type { MetadataStore } from '../metadata/metadata-store.js';
import { RevisionMismatchError } from '../metadata/metadata-store.js';

export const PRODUCER_ID_BLOCK_KEY = '/latest_producer_id_block';
export const PRODUCER_ID_BLOCK_SIZE = 1000n;
const INT64_MAX = 0x7fffffffffffffffn;
const MAX_CAS_ATTEMPTS = 20;

/** The id block could not be reserved (metadata store unavailable): Kafka COORDINATOR_LOAD_IN_PROGRESS, retriable. */
export class ProducerIdUnavailableError extends Error {
  override readonly name = 'ProducerIdUnavailableError';
}

/** Every producer id up to int64 max was used: Kafka answers UNKNOWN_SERVER_ERROR. */
export class ProducerIdsExhaustedError extends Error {
  override readonly name = 'ProducerIdsExhaustedError';
}

export interface ProducerIdBlock {
  brokerId: number;
  /** first id of the block */
  start: bigint;
  /** last id of the block (inclusive) */
  end: bigint;
}

interface StoredBlock {
  version: 1;
  broker: number;
  block_start: string;
  block_end: string;
}

export function encodeBlock(b: ProducerIdBlock): string {
  const v: StoredBlock = { version: 1, broker: b.brokerId, block_start: b.start.toString(), block_end: b.end.toString() };
  return JSON.stringify(v);
}

export function decodeBlock(s: string): ProducerIdBlock {
  const v = JSON.parse(s) as StoredBlock;
  return { brokerId: v.broker, start: BigInt(v.block_start), end: BigInt(v.block_end) };
}

export class ProducerIdManager {
  /** Next id to hand out; > end when the current block is used up. */
  private next = 0n;
  private end = -1n;
  private reserving: Promise<void> | null = null;

  constructor(
    private readonly store: MetadataStore,
    private readonly brokerId: number,
    private readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
  ) {}

  /** The block ids are currently taken from (null before the first allocation). */
  get currentBlock(): ProducerIdBlock | null {
    return this.end < 0n ? null : { brokerId: this.brokerId, start: this.end - this.blockSize + 1n, end: this.end };
  }

  async generateProducerId(): Promise<bigint> {
    for (;;) {
      if (this.next <= this.end) return this.next++;
      // Concurrent callers share one reservation, then each takes its own id from the new block.
      this.reserving ??= this.reserveBlock().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
  }

  private async reserveBlock(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      let current;
      try {
        current = await this.store.get(PRODUCER_ID_BLOCK_KEY);
      } catch (e) {
        throw new ProducerIdUnavailableError(`cannot read the producer id block: ${(e as Error).message}`);
      }
      const start = current === null ? 0n : decodeBlock(current.value).end + 1n;
      if (start > INT64_MAX - this.blockSize + 1n) throw new ProducerIdsExhaustedError('every producer id has been allocated');
      const block: ProducerIdBlock = { brokerId: this.brokerId, start, end: start + this.blockSize - 1n };
      try {
        await this.store.put(PRODUCER_ID_BLOCK_KEY, encodeBlock(block), { expectedRevision: current?.revision ?? 0 });
      } catch (e) {
        if (e instanceof RevisionMismatchError) {
          lastError = e; // another broker took this block: read again
          continue;
        }
        throw new ProducerIdUnavailableError(`cannot store the producer id block: ${(e as Error).message}`);
      }
      this.next = block.start;
      this.end = block.end;
      return;
    }
    throw new ProducerIdUnavailableError(`no producer id block after ${MAX_CAS_ATTEMPTS} attempts: ${(lastError as Error).message}`);
  }
}
