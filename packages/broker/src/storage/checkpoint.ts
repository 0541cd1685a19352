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

export type OffsetCheckpoint = Map<string, number>;

/** Key of a topic-partition in checkpoint maps. Topic names cannot contain spaces. */
export const partitionKey = (topic: string, partition: number): string => `${topic} ${partition}`;

export function readCheckpoint(path: string): OffsetCheckpoint {
  const out: OffsetCheckpoint = new Map();
  if (!existsSync(path)) return out;
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines[0]?.trim() !== '0') throw new StorageIoError(`unsupported checkpoint version in ${path}: ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new StorageIoError(`malformed checkpoint ${path}`);
  for (let i = 0; i < count; i++) {
    const parts = (lines[2 + i] ?? '').trim().split(' ');
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isInteger(offset) || !/^\d+$/.test(parts[1]!)) throw new StorageIoError(`malformed checkpoint line ${i + 3} in ${path}`);
    out.set(partitionKey(parts[0]!, Number(parts[1])), offset);
  }
  return out;
}

export function writeCheckpoint(path: string, entries: OffsetCheckpoint): void {
  let text = `0\n${entries.size}\n`;
  for (const [key, offset] of entries) text += `${key} ${offset}\n`;
  writeFileDurably(path, text);
}

/**
 * Writes `<path>.tmp`, fsyncs it (unless `sync` is false) and renames it over `path` (Kafka's
 * CheckpointFile).
 */
export function writeFileDurably(path: string, text: string, sync = true): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, text);
    if (sync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
