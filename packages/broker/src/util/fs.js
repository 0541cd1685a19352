import { closeSync, fsyncSync, openSync, renameSync, writeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
/** Writes a file so readers see the old or the new content, never a torn one: temp + fsync + rename + dir fsync. */
export function writeFileAtomic(path, data) {
    const dir = dirname(path);
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
        writeSync(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
        fsyncSync(fd);
    }
    finally {
        closeSync(fd);
    }
    renameSync(tmp, path);
    try {
        const dfd = openSync(dir, 'r');
        try {
            fsyncSync(dfd);
        }
        finally {
            closeSync(dfd);
        }
    }
    catch {
        // Some platforms cannot fsync a directory; the rename is still atomic.
    }
}
//# sourceMappingURL=fs.js.map