/**
 * The open segment files of one storage engine: descriptors are opened when a segment is read
 * or written and closed again, least recently used first, when more than `capacity` are open
 * (Kafka maps its indexes lazily; here the .log descriptors are lazy too). 20,000 partitions
 * then run within a process limit of 1,024 descriptors, most of them left to sockets.
 *
 * A file busy with a write or an fsync on the thread pool is never closed under it: an owner
 * says whether it can close now. Running out of descriptors anyway (EMFILE, ENFILE) closes
 * idle files and retries once, then fails the one operation with a clear StorageIoError.
 */
import { readFileSync } from 'node:fs';
import { StorageIoError } from './errors.js';

/** Something holding a descriptor the cache may ask to close. */
export interface OpenFileOwner {
  /** Closes the descriptor if nothing uses it right now (then calls OpenFiles.closed); false if busy. */
  closeIfIdle(): boolean;
}

/** Descriptors the engine leaves to everything else when it derives its bound from the process limit. */
const SHARE_OF_LIMIT = 0.5;
const MIN_CAPACITY = 16;

export class OpenFiles {
  /** Owners with an open descriptor; Map order is least recently used first. */
  private readonly lru = new Map<OpenFileOwner, true>();
  /** Descriptors opened over the engine's life and closed to stay under capacity (diagnostics, tests). */
  opened = 0;
  evicted = 0;

  constructor(readonly capacity: number = defaultOpenFileCapacity()) {
    if (!(capacity >= 1)) throw new Error(`open file capacity must be at least 1, got ${capacity}`);
  }

  /** Descriptors open now. */
  get size(): number {
    return this.lru.size;
  }

  /**
   * Opens a descriptor for `owner` with `openFd` (a synchronous open), closing idle ones first
   * to stay under capacity. Throws StorageIoError when the process is out of descriptors even
   * after closing idle ones; other open errors are rethrown as they are.
   */
  open(owner: OpenFileOwner, path: string, openFd: () => number): number {
    this.closeIdle(this.lru.size + 1 - this.capacity);
    let fd: number;
    try {
      fd = openFd();
    } catch (e) {
      if (!isDescriptorExhaustion(e)) throw e;
      // Sockets or other files took what was left: make room and try once more.
      this.closeIdle(Math.max(8, this.lru.size >> 2));
      try {
        fd = openFd();
      } catch (e2) {
        if (!isDescriptorExhaustion(e2)) throw e2;
        throw new StorageIoError(`Too many open files: cannot open ${path} (${(e2 as NodeJS.ErrnoException).code}; ${this.lru.size} segment files open, limit ${processOpenFileLimit() ?? 'unknown'}). Raise the open files limit (ulimit -n).`, { cause: e2 });
      }
    }
    this.opened++;
    this.lru.set(owner, true);
    return fd;
  }

  /** Marks `owner`'s descriptor most recently used. */
  touch(owner: OpenFileOwner): void {
    if (this.lru.delete(owner)) this.lru.set(owner, true);
  }

  /** `owner` closed its descriptor. */
  closed(owner: OpenFileOwner): void {
    this.lru.delete(owner);
  }

  /** Closes idle files beyond capacity (files busy with writes when they were opened go once their writes are done). */
  trim(): void {
    if (this.lru.size > this.capacity) this.closeIdle(this.lru.size - this.capacity);
  }

  /** Asks up to `count` least recently used owners that are idle to close. */
  private closeIdle(count: number): void {
    if (count <= 0) return;
    let closed = 0;
    // (Deleting the entry being visited is safe in a Map iteration.)
    for (const owner of this.lru.keys()) {
      if (closed >= count) break;
      if (owner.closeIfIdle()) {
        this.lru.delete(owner);
        closed++;
        this.evicted++;
      }
    }
  }
}

export function isDescriptorExhaustion(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'EMFILE' || code === 'ENFILE';
}

/** The soft RLIMIT_NOFILE of this process (node raises it to the hard limit at startup), or null if unknown. */
export function processOpenFileLimit(): number | null {
  try {
    const m = /^Max open files\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m === null) return null;
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return null;
  }
}

/** Half of the process's descriptor limit (the rest is for sockets and other files); 512 when unknown. */
export function defaultOpenFileCapacity(): number {
  const limit = processOpenFileLimit() ?? 1024;
  return Math.max(MIN_CAPACITY, Math.floor(Math.min(limit, 1 << 20) * SHARE_OF_LIMIT));
}
