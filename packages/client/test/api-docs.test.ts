// The typed API reference that ships with the package (docs/API.md) is generated from the TSDoc;
// this keeps it from drifting when the API changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('docs/API.md matches the TSDoc of the compiled sources', () => {
  const run = spawnSync(process.execPath, [join(pkg, 'scripts', 'api-docs.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /docs\/API\.md current: \d+ modules/);
});
