import { RevisionMismatchError } from '../metadata/metadata-store.js';
export const PRODUCER_ID_BLOCK_KEY = '/latest_producer_id_block';
export const PRODUCER_ID_BLOCK_SIZE = 1000n;
const INT64_MAX = 0x7fffffffffffffffn;
const MAX_CAS_ATTEMPTS = 20;
/** The id block could not be reserved (metadata store unavailable): Kafka COORDINATOR_LOAD_IN_PROGRESS, retriable. */
export class ProducerIdUnavailableError extends Error {
    name = 'ProducerIdUnavailableError';
}
/** Every producer id up to int64 max was used: Kafka answers UNKNOWN_SERVER_ERROR. */
export class ProducerIdsExhaustedError extends Error {
    name = 'ProducerIdsExhaustedError';
}
export function encodeBlock(b) {
    const v = { version: 1, broker: b.brokerId, block_start: b.start.toString(), block_end: b.end.toString() };
    return JSON.stringify(v);
}
export function decodeBlock(s) {
    const v = JSON.parse(s);
    return { brokerId: v.broker, start: BigInt(v.block_start), end: BigInt(v.block_end) };
}
export class ProducerIdManager {
    store;
    brokerId;
    blockSize;
    /** Next id to hand out; > end when the current block is used up. */
    next = 0n;
    end = -1n;
    reserving = null;
    constructor(store, brokerId, blockSize = PRODUCER_ID_BLOCK_SIZE) {
        this.store = store;
        this.brokerId = brokerId;
        this.blockSize = blockSize;
    }
    /** The block ids are currently taken from (null before the first allocation). */
    get currentBlock() {
        return this.end < 0n ? null : { brokerId: this.brokerId, start: this.end - this.blockSize + 1n, end: this.end };
    }
    async generateProducerId() {
        for (;;) {
            if (this.next <= this.end)
                return this.next++;
            // Concurrent callers share one reservation, then each takes its own id from the new block.
            this.reserving ??= this.reserveBlock().finally(() => {
                this.reserving = null;
            });
            await this.reserving;
        }
    }
    async reserveBlock() {
        let lastError;
        for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
            let current;
            try {
                current = await this.store.get(PRODUCER_ID_BLOCK_KEY);
            }
            catch (e) {
                throw new ProducerIdUnavailableError(`cannot read the producer id block: ${e.message}`);
            }
            const start = current === null ? 0n : decodeBlock(current.value).end + 1n;
            if (start > INT64_MAX - this.blockSize + 1n)
                throw new ProducerIdsExhaustedError('every producer id has been allocated');
            const block = { brokerId: this.brokerId, start, end: start + this.blockSize - 1n };
            try {
                await this.store.put(PRODUCER_ID_BLOCK_KEY, encodeBlock(block), { expectedRevision: current?.revision ?? 0 });
            }
            catch (e) {
                if (e instanceof RevisionMismatchError) {
                    lastError = e; // another broker took this block: read again
                    continue;
                }
                throw new ProducerIdUnavailableError(`cannot store the producer id block: ${e.message}`);
            }
            this.next = block.start;
            this.end = block.end;
            return;
        }
        throw new ProducerIdUnavailableError(`no producer id block after ${MAX_CAS_ATTEMPTS} attempts: ${lastError.message}`);
    }
}
//# sourceMappingURL=producer-id-manager.js.map