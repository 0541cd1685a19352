/**
 * Locates and loads the golden fixtures. Tests run both from source (tsx) and compiled into
 * dist/, while the fixtures stay in test/golden/fixtures: find them from the package root.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoldenFixture, GoldenManifest } from './golden-inputs.js';

function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@samsa/protocol') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package root of @samsa/protocol not found');
    dir = up;
  }
}

export const GOLDEN_FIXTURES_DIR = path.join(packageRoot(), 'test', 'golden', 'fixtures');

export function loadGoldenManifest(): GoldenManifest {
  return JSON.parse(readFileSync(path.join(GOLDEN_FIXTURES_DIR, 'manifest.json'), 'utf8')) as GoldenManifest;
}

export function readGoldenFrame(f: GoldenFixture): Buffer {
  return readFileSync(path.join(GOLDEN_FIXTURES_DIR, f.file));
}

/** Every golden fixture with its frame bytes. */
export function loadGoldenFrames(): Array<{ fixture: GoldenFixture; frame: Buffer }> {
  return loadGoldenManifest().fixtures.map((fixture) => ({ fixture, frame: readGoldenFrame(fixture) }));
}

/** The index of the first differing byte, or -1 if equal. */
export function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}
