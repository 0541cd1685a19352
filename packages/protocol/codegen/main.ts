// Protocol code generator.
//   node packages/protocol/dist/codegen/main.js [specDir] [--out dir] [--check]
// specDir defaults to <repo>/../shared/kafka-spec (a Kafka checkout's
// clients/src/main/resources/common works with the same layout of message/ etc.);
// --out defaults to packages/protocol/src/generated. --check regenerates in memory and exits 1
// listing files that differ, are missing or are extra.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.js';
import { loadSpecs } from './spec.js';

/** Walks up from this file to the package.json that declares workspaces. */
export function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown };
      if (json.workspaces !== undefined) return dir;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no workspace root above ${start}`);
    dir = up;
  }
}

export interface CheckResult {
  differing: string[];
  missing: string[];
  extra: string[];
}

/** Compares generated content with the files of a directory (only .ts files count). */
export function compareWithDir(files: Map<string, string>, outDir: string): CheckResult {
  const result: CheckResult = { differing: [], missing: [], extra: [] };
  const present = existsSync(outDir) ? readdirSync(outDir).filter((f) => f.endsWith('.ts')).sort() : [];
  for (const [name, content] of [...files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const p = join(outDir, name);
    if (!existsSync(p)) result.missing.push(name);
    else if (readFileSync(p, 'utf8') !== content) result.differing.push(name);
  }
  for (const f of present) if (!files.has(f)) result.extra.push(f);
  return result;
}

export function run(argv: string[]): number {
  const root = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
  let check = false;
  let outDir = join(root, 'packages', 'protocol', 'src', 'generated');
  let specDir = resolve(root, '..', 'shared', 'kafka-spec');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--check') check = true;
    else if (a === '--out') outDir = resolve(argv[++i] ?? '');
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else specDir = resolve(a);
  }
  const specs = loadSpecs(specDir);
  const files = generate(specs);
  if (check) {
    const r = compareWithDir(files, outDir);
    const problems = [
      ...r.differing.map((f) => `differs: ${f}`),
      ...r.missing.map((f) => `missing: ${f}`),
      ...r.extra.map((f) => `extra:   ${f}`),
    ];
    if (problems.length > 0) {
      console.error(`generated code in ${outDir} is not current (run npm run codegen):`);
      for (const p of problems) console.error(`  ${p}`);
      return 1;
    }
    console.log(`codegen check: ${files.size} files current (${specs.length} schemas from ${specDir})`);
    return 0;
  }
  mkdirSync(outDir, { recursive: true });
  const before = compareWithDir(files, outDir);
  for (const f of before.extra) rmSync(join(outDir, f));
  for (const [name, content] of files) {
    const p = join(outDir, name);
    if (!existsSync(p) || readFileSync(p, 'utf8') !== content) writeFileSync(p, content);
  }
  console.log(`codegen: ${files.size} files written to ${outDir} (${before.differing.length} changed, ${before.missing.length} new, ${before.extra.length} removed) from ${specs.length} schemas`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = run(process.argv.slice(2));
  } catch (e) {
    console.error(`codegen failed: ${(e as Error).message}`);
    process.exitCode = 2;
  }
}
