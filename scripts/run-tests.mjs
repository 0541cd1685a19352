#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/test/**/*.test.js) with node's test runner.
// Node 20's `node --test` takes no globs, so the files are listed here.
// Arguments are substrings that select test files: `npm test -- storage fetch`.
// Fails when a test was skipped, unless its reason is in ALLOWED_SKIPS.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('-') && a !== '--file-engine');

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'dist', 'test');
  if (existsSync(dir)) walk(dir, files);
}
const selected = files
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (selected.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// A skipped test hides a regression, so any skip fails the run, except the documented
// client-missing cases below (listed by the skip reason they give).
const ALLOWED_SKIPS = [
  // @platformatic/kafka compresses zstd with node:zlib, which has zstd only from Node 22.15.
  /^@platformatic\/kafka zstd needs node:zlib zstd \(Node >= 22\.15\)/,
];
const tapFile = join(mkdtempSync(join(tmpdir(), 'samsa-tests-')), 'results.tap');
const run = (files, tap, env = process.env) => spawnSync(process.execPath, [
  '--test', '--test-concurrency=2', '--test-timeout=300000',
  `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tap}`,
  ...passthrough, ...files,
], { cwd: root, stdio: 'inherit', env });
const r = run(selected, tapFile);
// The broker-level suites run on the memory engine above and once more on the file engine
// (the whole suite, or `npm test -- --file-engine <filters>`).
const FILE_ENGINE_SUITES = ['packages/broker/dist/test/handlers/', 'packages/broker/dist/test/server/', 'packages/broker/dist/test/cluster/', 'packages/broker/dist/test/testkit/'];
const fileEngineFiles = selected.filter((f) => FILE_ENGINE_SUITES.some((d) => f.startsWith(d)));
const fileTap = tapFile.replace(/\.tap$/, '-file.tap');
const wantFileEngine = filters.length === 0 || process.argv.includes('--file-engine');
const rf = wantFileEngine && fileEngineFiles.length > 0 ? (console.log('# broker-level suites again on the file engine'), run(fileEngineFiles, fileTap, { ...process.env, SAMSA_TESTKIT_STORAGE: 'file' })) : null;
const skips = [tapFile, fileTap]
  .filter((f) => existsSync(f))
  .flatMap((f) => readFileSync(f, 'utf8').split('\n').map((l) => /^\s*(?:not )?ok \d+ - (.*?) # SKIP ?(.*)$/.exec(l)).filter((m) => m !== null));
const forbidden = skips.filter((m) => !ALLOWED_SKIPS.some((re) => re.test(m[2])));
for (const m of skips) console.error(`${forbidden.includes(m) ? 'FORBIDDEN' : 'allowed'} skip: ${m[1]} (${m[2] || 'no reason'})`);
if (forbidden.length > 0) {
  console.error(`${forbidden.length} test(s) skipped: a skip hides a regression (allowed: ${ALLOWED_SKIPS.map(String).join(', ')})`);
  process.exit(1);
}
process.exit(r.status !== 0 ? r.status ?? 1 : rf === null ? 0 : rf.status ?? 1);
