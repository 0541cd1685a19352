/**
 * The coordinator runtime (Kafka's coordinator-common CoordinatorRuntime, in miniature). The
 * state of a coordinator is split into shards, one per partition of an internal compacted topic.
 * An operation on a shard returns a CoordinatorResult: the records that make its change durable
 * and the response. The runtime writes the records to the shard's partition as one RecordBatch
 * before anyone sees the response, then (unless the operation already changed the in-memory
 * state itself) applies them to the shard. Loading a shard replays its partition, so the state
 * after a restart is whatever the log says.
 *
 * Everything here is synchronous: appends to a PartitionLog are, and JavaScript runs one
 * operation at a time, so operations on a shard never interleave. Timers (session timeouts,
 * join delays) run as operations too, on an injected Clock.
 */
import { ErrorCode, KafkaError, createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol';
export function result(response, records = [], replayRecords = true) {
    return { records, response, replayRecords };
}
/** Kafka's InMemoryPartitionWriter: batches kept in memory, offsets assigned as a log would. */
export class InMemoryPartitionWriter {
    logs = new Map();
    /** Set to make the next appends throw (write-failure tests). */
    failAppends = null;
    append(partition, batch) {
        if (this.failAppends !== null)
            throw this.failAppends;
        let log = this.logs.get(partition);
        if (log === undefined)
            this.logs.set(partition, (log = { batches: [], endOffset: 0n }));
        const copy = Buffer.from(batch);
        const base = log.endOffset;
        copy.writeBigInt64BE(base, 0); // the base offset is outside the CRC
        const lastOffsetDelta = copy.readInt32BE(23);
        log.batches.push(copy);
        log.endOffset = base + BigInt(lastOffsetDelta) + 1n;
        return base;
    }
    read(partition, offset, _maxBytes) {
        const log = this.logs.get(partition);
        if (log === undefined)
            return { records: Buffer.alloc(0), logStartOffset: 0n, logEndOffset: 0n };
        const out = log.batches.filter((b) => b.readBigInt64BE(0) + BigInt(b.readInt32BE(23)) >= offset);
        return { records: Buffer.concat(out), logStartOffset: 0n, logEndOffset: log.endOffset };
    }
    /** Every batch written to a partition, as a log reader would see it. */
    batches(partition) {
        return Buffer.concat(this.logs.get(partition)?.batches ?? []);
    }
}
/**
 * The broker's writer: the internal topic's Partitions, through a resolver (partitions come and
 * go with metadata). Appends go through the leader path (leader check, epoch stamping); replay
 * reads the whole local log, as Kafka's coordinator loader does.
 */
export class PartitionLogWriter {
    resolve;
    clock;
    constructor(resolve, clock) {
        this.resolve = resolve;
        this.clock = clock;
    }
    partition(partition) {
        const p = this.resolve(partition);
        if (p === undefined || !p.isLeader)
            throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker does not lead coordinator partition ${partition}`);
        return p;
    }
    append(partition, batch) {
        return this.partition(partition).appendRecordsAsLeader(batch, { requiredAcks: 1, minInsyncReplicas: 1, nowMs: this.clock.now() }).baseOffset;
    }
    read(partition, offset, maxBytes) {
        const p = this.partition(partition);
        const from = offset < p.logStartOffset ? p.logStartOffset : offset;
        const r = p.readRecords(from, maxBytes, { isolation: 'log-end', minOneBatch: true, currentLeaderEpoch: -1, fetchOnlyFromLeader: false });
        return { records: r.records, logStartOffset: r.logStartOffset, logEndOffset: r.logEndOffset };
    }
}
export class CoordinatorRuntime {
    opts;
    shards = new Map();
    clock;
    writer;
    constructor(opts) {
        this.opts = opts;
        this.clock = opts.clock;
        this.writer = opts.writer;
    }
    /** Partitions that are active (loaded) here. */
    activePartitions() {
        return [...this.shards].filter(([, s]) => s.status === 'active').map(([p]) => p);
    }
    isLoaded(partition) {
        return this.shards.get(partition)?.status === 'active';
    }
    isHosted(partition) {
        return this.shards.has(partition);
    }
    /**
     * Becomes coordinator of a partition: replays it, then serves it. Operations in between answer
     * COORDINATOR_LOAD_IN_PROGRESS. Returns when the shard is active.
     */
    async load(partition, epoch = 0) {
        const cur = this.shards.get(partition);
        if (cur !== undefined && cur.epoch >= epoch && cur.status !== 'failed')
            return;
        if (cur?.status === 'active')
            this.unload(partition);
        this.shards.set(partition, { status: 'loading', epoch });
        const timers = new Map();
        const shard = this.opts.newShard({ partition, clock: this.clock, timer: this.timerFor(partition, timers), log: this.opts.log ?? null });
        try {
            const started = Date.now();
            let offset = 0n;
            let records = 0;
            const chunk = this.opts.loadChunkBytes ?? 1 << 20;
            for (;;) {
                const r = this.writer.read(partition, offset, chunk);
                if (offset < r.logStartOffset)
                    offset = r.logStartOffset;
                if (r.records.length === 0)
                    break;
                for (const batch of decodeRecordBatches(r.records, { verifyCrc: false })) {
                    const last = batch.baseOffset + BigInt(batch.lastOffsetDelta);
                    if (last < offset)
                        continue;
                    if (!batch.isControl) {
                        for (const rec of batch.records) {
                            const recOffset = batch.baseOffset + BigInt(rec.offsetDelta);
                            if (recOffset < offset || rec.key === null)
                                continue;
                            shard.replay({ key: rec.key, value: rec.value }, recOffset);
                            records++;
                        }
                    }
                    offset = last + 1n;
                }
                if (offset >= r.logEndOffset)
                    break;
                await new Promise((resolve) => setImmediate(resolve));
                if (this.shards.get(partition)?.epoch !== epoch)
                    return; // unloaded or reloaded meanwhile
            }
            const now = this.shards.get(partition);
            if (now === undefined || now.epoch !== epoch || now.status !== 'loading')
                return;
            this.shards.set(partition, { status: 'active', epoch, shard, timers });
            shard.onLoaded?.();
            this.opts.log?.info(`Finished loading of partition ${partition} (${records} records) in ${Date.now() - started} ms`);
        }
        catch (e) {
            this.opts.log?.error(`Failed to load coordinator partition ${partition}`, e);
            this.shards.set(partition, { status: 'failed', epoch, error: e });
            throw e;
        }
    }
    /** Stops coordinating a partition: its timers stop, its state is dropped. */
    unload(partition) {
        const s = this.shards.get(partition);
        this.shards.delete(partition);
        if (s?.status !== 'active')
            return;
        for (const h of s.timers.values())
            this.clock.clearTimeout(h);
        s.timers.clear();
        s.shard.onUnloaded?.();
    }
    close() {
        for (const p of [...this.shards.keys()])
            this.unload(p);
    }
    active(partition) {
        const s = this.shards.get(partition);
        if (s === undefined || s.status === 'failed')
            throw new KafkaError(ErrorCode.NOT_COORDINATOR, `this broker does not coordinate partition ${partition}`);
        if (s.status === 'loading')
            throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `partition ${partition} is loading`);
        return s;
    }
    /** Reads a shard's state (no records). */
    read(partition, fn) {
        return fn(this.active(partition).shard);
    }
    /**
     * Runs an operation: its records are appended as one batch before the response is returned.
     * A failed append throws (mapped by the caller), after telling the operation through afterWrite.
     */
    write(partition, op) {
        const { shard } = this.active(partition);
        return this.complete(partition, shard, op(shard));
    }
    complete(partition, shard, res) {
        if (res.records.length > 0) {
            const batch = encodeRecordBatch(createRecordBatch(res.records.map((r) => ({ key: r.key, value: r.value })), { now: BigInt(this.clock.now()) }));
            let base;
            try {
                base = this.writer.append(partition, batch);
            }
            catch (e) {
                res.afterWrite?.(e);
                throw e;
            }
            if (res.replayRecords !== false)
                res.records.forEach((r, i) => shard.replay(r, base + BigInt(i)));
        }
        res.afterWrite?.(null);
        return res.response;
    }
    timerFor(partition, timers) {
        return {
            schedule: (key, delayMs, op) => {
                const prev = timers.get(key);
                if (prev !== undefined)
                    this.clock.clearTimeout(prev);
                const handle = this.clock.setTimeout(() => {
                    if (timers.get(key) !== handle)
                        return;
                    timers.delete(key);
                    const s = this.shards.get(partition);
                    if (s?.status !== 'active' || s.timers !== timers)
                        return;
                    try {
                        this.complete(partition, s.shard, op());
                    }
                    catch (e) {
                        this.opts.log?.error(`Coordinator timer ${key} of partition ${partition} failed`, e);
                    }
                }, delayMs);
                timers.set(key, handle);
            },
            cancel: (key) => {
                const h = timers.get(key);
                if (h === undefined)
                    return;
                this.clock.clearTimeout(h);
                timers.delete(key);
            },
            isScheduled: (key) => timers.has(key),
        };
    }
}
//# sourceMappingURL=runtime.js.map