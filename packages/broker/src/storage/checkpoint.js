/**
 * Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint,
 * replication-offset-checkpoint):
 *   0                    <- version
 *   <count>
 *   <topic> <partition> <offset>
 * written to `<file>.tmp`, fsynced, then renamed over the file.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { StorageIoError } from './errors.js';
export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
/** The high watermarks of the partitions in a log dir (written by the ReplicaManager). */
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
/** Key of a topic-partition in checkpoint maps. Topic names cannot contain spaces. */
export const partitionKey = (topic, partition) => `${topic} ${partition}`;
export function readCheckpoint(path) {
    const out = new Map();
    if (!existsSync(path))
        return out;
    const lines = readFileSync(path, 'utf8').split('\n');
    if (lines[0]?.trim() !== '0')
        throw new StorageIoError(`unsupported checkpoint version in ${path}: ${lines[0]}`);
    const count = Number(lines[1]);
    if (!Number.isInteger(count) || count < 0)
        throw new StorageIoError(`malformed checkpoint ${path}`);
    for (let i = 0; i < count; i++) {
        const parts = (lines[2 + i] ?? '').trim().split(' ');
        const offset = Number(parts[2]);
        if (parts.length !== 3 || !Number.isInteger(offset) || !/^\d+$/.test(parts[1]))
            throw new StorageIoError(`malformed checkpoint line ${i + 3} in ${path}`);
        out.set(partitionKey(parts[0], Number(parts[1])), offset);
    }
    return out;
}
export function writeCheckpoint(path, entries) {
    let text = `0\n${entries.size}\n`;
    for (const [key, offset] of entries)
        text += `${key} ${offset}\n`;
    writeFileDurably(path, text);
}
/** Writes `<path>.tmp`, fsyncs it and renames it over `path` (Kafka's CheckpointFile). */
export function writeFileDurably(path, text) {
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w', 0o644);
    try {
        writeSync(fd, text);
        fsyncSync(fd);
    }
    finally {
        closeSync(fd);
    }
    renameSync(tmp, path);
}
//# sourceMappingURL=checkpoint.js.map