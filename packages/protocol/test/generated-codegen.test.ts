// The generator: committed output is current (the --check), the check notices drift, output
// is deterministic, and generated files carry the header and no schema prose.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithDir, findRepoRoot } from '../codegen/main.js';
import { generate, HEADER } from '../codegen/generate.js';
import { loadSpecs, stripJsonComments } from '../codegen/spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = findRepoRoot(here);
const specDir = resolve(root, '..', 'shared', 'kafka-spec');
const generatedDir = join(root, 'packages', 'protocol', 'src', 'generated');
const files = generate(loadSpecs(specDir));

/** Runs the generator CLI the way this test itself runs (compiled JS, or TS through tsx). */
function runCli(args: string[]): { status: number | null; out: string } {
  const js = join(here, '..', 'codegen', 'main.js');
  const main = existsSync(js) ? js : join(here, '..', 'codegen', 'main.ts');
  const r = spawnSync(process.execPath, [...process.execArgv.filter((a) => !a.startsWith('--test')), main, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('committed generated code is current', () => {
  const r = compareWithDir(files, generatedDir);
  assert.deepEqual(r, { differing: [], missing: [], extra: [] });
});

test('generation is deterministic', () => {
  const again = generate(loadSpecs(specDir));
  assert.deepEqual([...again.keys()], [...files.keys()]);
  for (const [name, content] of files) assert.equal(again.get(name), content, name);
});

test('--check passes on a faithful copy and lists modified, missing and extra files', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'samsa-codegen-'));
  try {
    cpSync(generatedDir, tmp, { recursive: true });
    let r = runCli([specDir, '--check', '--out', tmp]);
    assert.equal(r.status, 0, r.out);
    writeFileSync(join(tmp, 'produce.ts'), readFileSync(join(tmp, 'produce.ts'), 'utf8') + '// edited\n');
    unlinkSync(join(tmp, 'fetch.ts'));
    writeFileSync(join(tmp, 'stale.ts'), 'export {};\n');
    r = runCli([specDir, '--check', '--out', tmp]);
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /differs: produce\.ts/);
    assert.match(r.out, /missing: fetch\.ts/);
    assert.match(r.out, /extra: +stale\.ts/);
    // Regenerating into the directory repairs it.
    r = runCli([specDir, '--out', tmp]);
    assert.equal(r.status, 0, r.out);
    assert.deepEqual(compareWithDir(files, tmp), { differing: [], missing: [], extra: [] });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('every generated file starts with the header and holds no schema prose', () => {
  // A few "about" texts from the schemas: none may appear in generated code.
  const prose = ['The transactional ID, or null if the producer is not transactional', 'The topic name.', 'Each partition to produce to'];
  for (const [name, content] of files) {
    assert.ok(content.startsWith(HEADER + '\n'), name);
    for (const p of prose) assert.ok(!content.includes(p), `${name} contains prose "${p}"`);
  }
  assert.ok(files.has('produce.ts') && files.has('api-table.ts') && files.has('schema-model.ts') && files.has('index.ts'));
  assert.ok(files.has('offset-commit-value.ts') && files.has('transaction-log-value.ts') && files.has('request-header.ts'));
});

test('JSON comments are stripped outside strings only', () => {
  const text = '// head\n{ "a": "x // not a comment", // trailing\n "b": 1 }';
  assert.deepEqual(JSON.parse(stripJsonComments(text)), { a: 'x // not a comment', b: 1 });
});
