#!/usr/bin/env node
// Writes docs/API.md: the typed API reference of @samsa/client, generated from the TSDoc in the
// compiled declarations (dist/src/*.d.ts, which tsc -b emits with their doc comments).
// Run after `npx tsc -b`: `npm run docs -w @samsa/client`. Private members are left out.
// `--check` writes nothing and exits 1 when docs/API.md is not what the sources give (a test runs it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkg, 'dist', 'src');
const index = readFileSync(join(dist, 'index.d.ts'), 'utf8');
const modules = [...new Set([...index.matchAll(/from '\.\/(.+?)\.js'/g)].map((m) => m[1]))];
let out = '# @samsa/client API reference\n\nGenerated from the TSDoc of the sources by `scripts/api-docs.mjs`; do not edit.\n';
for (const mod of modules) {
  const text = readFileSync(join(dist, `${mod}.d.ts`), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*private\b/.test(l) && !/^import /.test(l) && !/^\/\/# sourceMappingURL/.test(l))
    .join('\n')
    .trim();
  out += `\n## ${mod}\n\n\`\`\`ts\n${text}\n\`\`\`\n`;
}
const target = join(pkg, 'docs', 'API.md');
if (process.argv.includes('--check')) {
  if (!existsSync(target) || readFileSync(target, 'utf8') !== out) {
    console.error('docs/API.md is out of date with the sources: run `npx tsc -b && npm run docs -w @samsa/client` and commit it');
    process.exit(1);
  }
  console.log(`docs/API.md current: ${modules.length} modules`);
} else {
  mkdirSync(join(pkg, 'docs'), { recursive: true });
  writeFileSync(target, out);
  console.log(`docs/API.md: ${modules.length} modules, ${out.length} characters`);
}
