/**
 * A tmpfs of a given size for storage tests (mount and umount need root, as CI runs): a full
 * disk on demand, and fast file creation for tests that make tens of thousands of files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  readonly path: string;
  /** Unmounts (lazily, so a process still holding files does not block it) and removes the mount point. */
  unmount(): void;
}

export function mountTmpfs(size: string, prefix = 'samsa-tmpfs-'): Tmpfs {
  const path = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path]);
  return {
    path,
    unmount: () => {
      try {
        execFileSync('umount', ['-l', path]);
      } finally {
        rmSync(path, { recursive: true, force: true });
      }
    },
  };
}
