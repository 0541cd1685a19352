/**
 * Kafka's `.lock` in every log directory: a second broker on the same directory refuses to
 * start ("Failed to acquire lock on file .lock in DIR. A Kafka instance in another process or
 * thread is using this directory."), as two writers on one log lose acknowledged records.
 *
 * Node has no flock, so the lock is the file's content: the holder's pid and the start time
 * of that process (from /proc, so a recycled pid is not mistaken for the holder). A lock whose
 * holder is gone (kill -9, power loss) is stale and taken over; an empty `.lock` (what Kafka
 * leaves) holds nothing. Creation is O_EXCL, and taking over a stale lock is serialised by an
 * O_EXCL `.lock.takeover` file, so two brokers starting at once cannot both win.
 */
import { closeSync, fsyncSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = '.lock';
const TAKEOVER_FILE = '.lock.takeover';

export class KafkaException extends Error {
  override readonly name = 'KafkaException';
}

export function lockRefusedMessage(dir: string): string {
  return `Failed to acquire lock on file ${LOCK_FILE} in ${dir}. A Kafka instance in another process or thread is using this directory.`;
}

interface Holder {
  pid: number;
  startTime: string;
}

/** The kernel's start time of a process (clock ticks since boot), or '' where /proc is absent. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return process.platform === 'linux' ? null : '';
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const self: Holder = { pid: process.pid, startTime: processStartTime(process.pid) ?? '' };
/** Directories (real paths) locked by brokers of this process. */
const heldHere = new Set<string>();

function parse(text: string): Holder | null {
  const pid = /^pid=(\d+)$/m.exec(text);
  if (pid === null) return null;
  return { pid: Number(pid[1]), startTime: /^startTime=(.*)$/m.exec(text)?.[1] ?? '' };
}

function holds(h: Holder | null, dir: string): boolean {
  if (h === null) return false;
  if (h.pid === self.pid && h.startTime === self.startTime) return heldHere.has(dir);
  if (!isAlive(h.pid)) return false;
  const now = processStartTime(h.pid);
  return now === null ? false : now === '' || h.startTime === '' || now === h.startTime;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function writeExclusive(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

const content = (): string => `pid=${self.pid}\nstartTime=${self.startTime}\nhost=${hostname()}\n`;

/** The pid of the live broker holding a directory's lock, or null (kafka-server-stop). */
export function lockHolderPid(dir: string): number | null {
  const h = parse(read(join(dir, LOCK_FILE)) ?? '');
  if (h === null || !isAlive(h.pid)) return null;
  const now = processStartTime(h.pid);
  return now === null || (now !== '' && h.startTime !== '' && now !== h.startTime) ? null : h.pid;
}

/** A lock on one log directory; release() on clean shutdown. */
export class DirLock {
  private constructor(readonly dir: string, private readonly key: string) {}

  /** Takes the lock or throws KafkaException with Kafka's message. */
  static acquire(dir: string): DirLock {
    const key = realpathSync(dir);
    const path = join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 5; attempt++) {
      if (writeExclusive(path, content())) return DirLock.held(dir, key);
      const current = read(path);
      if (current === null) continue; // released meanwhile: try again
      if (holds(parse(current), key)) throw new KafkaException(lockRefusedMessage(dir));
      // Stale (or Kafka's empty file): take it over under the takeover token.
      const takeover = join(dir, TAKEOVER_FILE);
      if (!writeExclusive(takeover, content())) {
        const other = read(takeover);
        if (other !== null && holds(parse(other), '')) throw new KafkaException(lockRefusedMessage(dir));
        rmSync(takeover, { force: true }); // left by a broker that died mid-takeover
        continue;
      }
      try {
        if (read(path) !== current) continue; // someone else moved first
        const tmp = join(dir, `${LOCK_FILE}.${self.pid}`);
        rmSync(tmp, { force: true });
        writeExclusive(tmp, content());
        renameSync(tmp, path);
        return DirLock.held(dir, key);
      } finally {
        rmSync(takeover, { force: true });
      }
    }
    throw new KafkaException(lockRefusedMessage(dir));
  }

  private static held(dir: string, key: string): DirLock {
    heldHere.add(key);
    return new DirLock(dir, key);
  }

  /** Removes the lock file if it is still ours. */
  release(): void {
    if (!heldHere.delete(this.key)) return;
    const path = join(this.dir, LOCK_FILE);
    const h = parse(read(path) ?? '');
    if (h !== null && h.pid === self.pid && h.startTime === self.startTime) rmSync(path, { force: true });
  }
}
