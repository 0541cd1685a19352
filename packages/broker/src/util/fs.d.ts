/** Writes a file so readers see the old or the new content, never a torn one: temp + fsync + rename + dir fsync. */
export declare function writeFileAtomic(path: string, data: string | Buffer): void;
