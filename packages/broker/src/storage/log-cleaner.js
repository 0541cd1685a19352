/**
 * The broker side of log compaction (Kafka's LogCleaner + LogCleanerManager): decides which
 * partition to clean, drives the compaction algorithm of cleaner.ts over it in the background
 * and remembers how far each log is clean.
 *
 * - Compactable logs: cleanup.policy contains "compact" (alone or with "delete": retention still
 *   applies to those through PartitionLog.applyRetention).
 * - Selection (grabFilthiestCompactedLog): of the logs whose dirty ratio reaches
 *   min.cleanable.dirty.ratio (or whose dirty data is older than max.compaction.lag.ms), the
 *   filthiest. A log whose oldest kept tombstone has passed its delete horizon is cleaned again
 *   in full even without new dirty data, so tombstones really go after delete.retention.ms.
 * - Loop (CleanerThread.doWork): clean the filthiest log; when there is none, wait
 *   log.cleaner.backoff.ms on the broker clock.
 * - Bounded steps: every pass is a step generator (cleaner.ts); one step runs per setImmediate,
 *   so produce and fetch run between steps. Reads go through PartitionLog.read in chunks of
 *   log.cleaner.io.buffer.size; the swap (PartitionLog.replaceSegments: .cleaned -> .swap ->
 *   rename) is one synchronous step, bounded by capping a group's input at `maxGroupBytes`.
 *   `stats` records the longest step.
 * - Progress: `cleaner-offset-checkpoint` in each log dir, Kafka's offset checkpoint format,
 *   written after each cleaning. The memory engine keeps it in memory.
 * - Cleaned segments are swapped in without append(), so log observers (producer state) never
 *   see them; the producers' last batches (producer state) are kept as empty headers.
 * - Concurrent changes to the log (retention, DeleteRecords, truncation, deletion) make the swap
 *   or a read fail: the round is dropped and the next one starts over.
 */
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ATTR_DELETE_HORIZON, batchAttributes, batchBaseTimestamp, batchLastOffset } from '@samsa/protocol/records';
import { partitionKey, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { buildOffsetMap, cleanBatches, groupSegments, OffsetMap, planCompaction, splitBatches, } from './cleaner.js';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
/** Kafka sizes its dedupe map at 24 bytes per entry (16-byte MD5 + 8-byte offset). */
const BYTES_PER_MAP_ENTRY = 24;
/** Key of the in-memory checkpoint of logs without a directory (memory engine). */
const NO_DIR = '';
const valueOf = (s) => (typeof s === 'function' ? s() : s);
/** The cleaner was stopped mid-cleaning. */
export class CleanerStoppedError extends Error {
    name = 'CleanerStoppedError';
}
export function isCompacted(config) {
    return config.cleanupPolicy.split(',').some((p) => p.trim() === 'compact');
}
export class LogCleaner {
    opts;
    stats = {
        cleanings: 0, aborted: 0, steps: 0, maxStepMs: 0, maxSwapMs: 0, maxStepCpuMs: 0, totalStepMs: 0, bytesRead: 0, bytesWritten: 0, recordsRead: 0, recordsRetained: 0,
    };
    /** log dir (or NO_DIR) -> topic-partition -> first dirty offset */
    checkpoints = new Map();
    /** Earliest delete horizon of a tombstone still in a log (ms), by log. */
    horizons = new WeakMap();
    schedule;
    maxGroupBytes;
    timer = null;
    running = false;
    stopping = false;
    /** The cleaning in progress (one at a time, as one cleaner thread). */
    current = Promise.resolve();
    constructor(opts) {
        this.opts = opts;
        this.schedule = opts.schedule ?? setImmediate;
        this.maxGroupBytes = opts.maxGroupBytes ?? 16 * 1024 * 1024;
    }
    /** Loads the checkpoints of `logDirs` (Kafka's format; an unreadable file counts as empty). */
    loadCheckpoints(logDirs) {
        for (const configured of logDirs) {
            const dir = resolve(configured);
            let cp;
            try {
                cp = readCheckpoint(join(dir, CLEANER_OFFSET_CHECKPOINT));
            }
            catch (e) {
                this.opts.logger.warn(`Ignoring unreadable ${CLEANER_OFFSET_CHECKPOINT} in ${dir}: ${e.message}`);
                cp = new Map();
            }
            this.checkpoints.set(dir, cp);
        }
    }
    /** Starts the background loop (log.cleaner.enable). */
    start() {
        this.running = true;
        this.stopping = false;
        this.opts.logger.info('Starting the log cleaner');
        this.loop();
    }
    /** Stops the loop; a cleaning in progress is dropped at its next step. */
    async stop() {
        this.running = false;
        this.stopping = true;
        if (this.timer !== null)
            this.opts.clock.clearTimeout(this.timer);
        this.timer = null;
        await this.current.catch(() => { });
    }
    /** The first dirty offset recorded for a log (the cleaner checkpoint), if any. */
    checkpointOf(log) {
        const v = this.checkpoints.get(dirOf(log))?.get(partitionKey(log.topic, log.partition));
        return v === undefined ? undefined : BigInt(v);
    }
    /**
     * Cleans the filthiest log now, if any log needs cleaning, after any cleaning in progress.
     * Resolves with what was done, or null when nothing needed cleaning.
     */
    cleanFilthiest() {
        const run = this.current.catch(() => { }).then(() => this.cleanFilthiestNow());
        this.current = run;
        return run;
    }
    /** Cleans until no log needs it (tests, admin); at most `maxCleanings`. Resolves with the cleanings done. */
    async cleanAll(maxCleanings = 1000) {
        const done = [];
        for (let i = 0; i < maxCleanings; i++) {
            const r = await this.cleanFilthiest();
            if (r === null)
                break;
            done.push(r);
        }
        return done;
    }
    loop() {
        if (!this.running)
            return;
        this.cleanFilthiest().then((r) => {
            if (!this.running)
                return;
            // As CleanerThread: straight on while there is work, else back off.
            if (r !== null)
                this.schedule(() => this.loop());
            else
                this.timer = this.opts.clock.setTimeout(() => {
                    this.timer = null;
                    this.loop();
                }, valueOf(this.opts.backoffMs));
        }, (e) => {
            if (!this.running)
                return;
            this.opts.logger.error('Log cleaner failed', e);
            this.timer = this.opts.clock.setTimeout(() => {
                this.timer = null;
                this.loop();
            }, valueOf(this.opts.backoffMs));
        });
    }
    // ---- selection ------------------------------------------------------------------------------
    grabFilthiest(nowMs) {
        let best = null;
        const hosted = new Set();
        for (const entry of this.opts.logs()) {
            const { log, config } = entry;
            hosted.add(`${dirOf(log)}\u0000${partitionKey(log.topic, log.partition)}`);
            if (!isCompacted(config))
                continue;
            try {
                const lag = entry.maxCompactionLagMs;
                const compaction = {
                    minCompactionLagMs: config.minCompactionLagMs,
                    minCleanableDirtyRatio: config.minCleanableDirtyRatio,
                    ...(lag !== undefined && lag < Number.MAX_SAFE_INTEGER ? { maxCompactionLagMs: lag } : {}),
                };
                const base = { segments: log.segments(), logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, nowMs, config: compaction };
                const checkpoint = this.checkpointOf(log);
                let plan = planCompaction({ ...base, ...(checkpoint !== undefined ? { firstDirtyOffset: checkpoint } : {}) });
                let forced = false;
                const horizon = this.horizons.get(log);
                if (plan === null && horizon !== undefined && horizon <= nowMs) {
                    // Tombstones past their delete horizon: clean everything again so they go.
                    plan = planCompaction({ ...base, firstDirtyOffset: log.logStartOffset, force: true });
                    forced = plan !== null;
                }
                if (plan !== null && (best === null || plan.dirtyRatio > best.plan.dirtyRatio))
                    best = { entry, plan, forced };
            }
            catch (e) {
                this.opts.logger.warn(`Cannot plan the cleaning of ${log.topic}-${log.partition}: ${e.message}`);
            }
        }
        this.pruneCheckpoints(hosted);
        return best;
    }
    /** Forgets checkpoints of logs no longer hosted (deleted topics). */
    pruneCheckpoints(hosted) {
        for (const [dir, cp] of this.checkpoints) {
            let changed = false;
            for (const key of cp.keys()) {
                if (!hosted.has(`${dir}\u0000${key}`)) {
                    cp.delete(key);
                    changed = true;
                }
            }
            if (changed)
                this.writeCheckpointFile(dir);
        }
    }
    // ---- cleaning -------------------------------------------------------------------------------
    async cleanFilthiestNow() {
        if (this.stopping)
            return null;
        const nowMs = this.opts.clock.now();
        const chosen = this.grabFilthiest(nowMs);
        if (chosen === null)
            return null;
        const { entry, plan, forced } = chosen;
        const { log, config } = entry;
        try {
            return await this.clean(log, config, plan, forced, nowMs);
        }
        catch (e) {
            this.stats.aborted++;
            if (e instanceof CleanerStoppedError)
                return null;
            // The log moved under us (retention, DeleteRecords, deletion) or I/O failed: the next round retries.
            this.opts.logger.warn(`Cleaning of ${log.topic}-${log.partition} aborted: ${e.message}`);
            return null;
        }
    }
    async clean(log, config, plan, forced, nowMs) {
        const stepOpts = {
            ...(this.opts.batchesPerStep !== undefined ? { batchesPerStep: this.opts.batchesPerStep } : {}),
            ...(this.opts.stepBudgetMs !== undefined ? { stepBudgetMs: this.opts.stepBudgetMs } : {}),
        };
        // 1. key -> latest offset over the dirty section
        const map = new OffsetMap(Math.max(1, Math.floor(valueOf(this.opts.dedupeBufferSize) / BYTES_PER_MAP_ENTRY)));
        const { cleanUpTo } = await this.drive(buildOffsetMap(map, this.readRange(log, plan.firstDirtyOffset, plan.firstUncleanableOffset), {
            startOffset: plan.firstDirtyOffset, endOffset: plan.firstUncleanableOffset, ...stepOpts,
        }));
        // 2. rewrite every segment below the map's end, in groups that each become one segment
        const ends = new Map();
        plan.segments.forEach((s, i) => ends.set(s.baseOffset, plan.segments[i + 1]?.baseOffset ?? plan.firstUncleanableOffset));
        const segments = plan.segments.filter((s) => s.baseOffset < cleanUpTo);
        const groups = groupSegments(segments, Math.min(config.segmentBytes, this.maxGroupBytes));
        const total = { batchesRead: 0, batchesWritten: 0, recordsRead: 0, recordsRetained: 0, bytesRead: 0, bytesWritten: 0, batchesCopied: 0, keylessRecords: 0 };
        let horizon = Infinity;
        for (const group of groups) {
            const start = group[0].baseOffset;
            const end = ends.get(group[group.length - 1].baseOffset);
            const producers = this.opts.producerLastBatches?.(log) ?? new Map();
            const out = [];
            const stats = await this.drive(cleanBatches(this.readRange(log, start, end), { map, nowMs, deleteRetentionMs: config.deleteRetentionMs, producers, ...stepOpts }), (chunk) => {
                for (const b of chunk)
                    out.push(b);
            });
            if (this.stopping)
                throw new CleanerStoppedError('the log cleaner is stopping');
            const t0 = performance.now();
            const cpu0 = process.cpuUsage();
            log.replaceSegments(group.map((s) => s.baseOffset), out);
            this.recordStep(performance.now() - t0, process.cpuUsage(cpu0), true);
            for (const b of out) {
                // A horizon already passed marks no tombstone any more: this cleaning dropped them.
                if ((batchAttributes(b) & ATTR_DELETE_HORIZON) === 0)
                    continue;
                const h = Number(batchBaseTimestamp(b));
                if (h > nowMs && h < horizon)
                    horizon = h;
            }
            addStats(total, stats);
        }
        // Segments past cleanUpTo (map full) were never cleaned, so hold no horizon: this round saw them all.
        if (horizon === Infinity)
            this.horizons.delete(log);
        else
            this.horizons.set(log, horizon);
        this.setCheckpoint(log, cleanUpTo);
        this.stats.cleanings++;
        this.stats.bytesRead += total.bytesRead;
        this.stats.bytesWritten += total.bytesWritten;
        this.stats.recordsRead += total.recordsRead;
        this.stats.recordsRetained += total.recordsRetained;
        this.opts.logger.info(`Cleaned log ${log.topic}-${log.partition}${forced ? ' (delete horizon passed)' : ''}: dirty ratio ${plan.dirtyRatio.toFixed(3)}, ` +
            `${segments.length} segment(s) into ${groups.length}, ${total.bytesRead} -> ${total.bytesWritten} bytes, ` +
            `${total.recordsRead} -> ${total.recordsRetained} records, clean up to ${cleanUpTo}`);
        return { topic: log.topic, partition: log.partition, cleanedUpTo: cleanUpTo, forced, dirtyRatio: plan.dirtyRatio, segmentsReplaced: segments.length, stats: total };
    }
    /** Whole batches of [from, to) in chunks of log.cleaner.io.buffer.size, read when asked for. */
    *readRange(log, from, to) {
        const chunkBytes = Math.max(1, valueOf(this.opts.ioBufferSize));
        let offset = from < log.logStartOffset ? log.logStartOffset : from;
        while (offset < to) {
            const { records } = log.read(offset, chunkBytes, { minOneBatch: true, maxOffset: to });
            if (records.length === 0)
                return;
            let next = offset;
            for (const b of splitBatches(records)) {
                const after = batchLastOffset(b) + 1n;
                if (after > next)
                    next = after;
            }
            yield records;
            if (next <= offset)
                return;
            offset = next;
        }
    }
    /** Runs a step generator one step per `schedule` tick, timing each step. */
    drive(job, onStep) {
        return new Promise((resolve, reject) => {
            const step = () => {
                if (this.stopping) {
                    job.return(undefined);
                    reject(new CleanerStoppedError('the log cleaner is stopping'));
                    return;
                }
                const t0 = performance.now();
                const cpu0 = process.cpuUsage();
                let r;
                try {
                    r = job.next();
                    if (!r.done)
                        onStep?.(r.value);
                }
                catch (e) {
                    reject(e);
                    return;
                }
                this.recordStep(performance.now() - t0, process.cpuUsage(cpu0), false);
                if (r.done)
                    resolve(r.value);
                else
                    this.schedule(step);
            };
            this.schedule(step);
        });
    }
    recordStep(ms, cpu, swap) {
        const cpuMs = (cpu.user + cpu.system) / 1000;
        if (cpuMs > this.stats.maxStepCpuMs)
            this.stats.maxStepCpuMs = cpuMs;
        this.stats.steps++;
        this.stats.totalStepMs += ms;
        if (ms > this.stats.maxStepMs)
            this.stats.maxStepMs = ms;
        if (swap && ms > this.stats.maxSwapMs)
            this.stats.maxSwapMs = ms;
    }
    // ---- checkpoints ----------------------------------------------------------------------------
    setCheckpoint(log, offset) {
        const dir = dirOf(log);
        let cp = this.checkpoints.get(dir);
        if (cp === undefined) {
            cp = new Map();
            this.checkpoints.set(dir, cp);
        }
        cp.set(partitionKey(log.topic, log.partition), Number(offset));
        this.writeCheckpointFile(dir);
    }
    writeCheckpointFile(dir) {
        if (dir === NO_DIR)
            return;
        try {
            writeCheckpoint(join(dir, CLEANER_OFFSET_CHECKPOINT), this.checkpoints.get(dir));
        }
        catch (e) {
            // Losing it only means the next cleaning starts from the log start.
            this.opts.logger.warn(`Cannot write ${CLEANER_OFFSET_CHECKPOINT} in ${dir}: ${e.message}`);
        }
    }
}
/** The log dir holding a log (its partition directory's parent); NO_DIR for the memory engine. */
function dirOf(log) {
    return log.dir === null ? NO_DIR : resolve(dirname(log.dir));
}
function addStats(into, s) {
    into.batchesRead += s.batchesRead;
    into.batchesWritten += s.batchesWritten;
    into.recordsRead += s.recordsRead;
    into.recordsRetained += s.recordsRetained;
    into.bytesRead += s.bytesRead;
    into.bytesWritten += s.bytesWritten;
    into.batchesCopied += s.batchesCopied;
    into.keylessRecords += s.keylessRecords;
}
//# sourceMappingURL=log-cleaner.js.map