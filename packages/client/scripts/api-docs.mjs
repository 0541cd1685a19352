#!/usr/bin/env node
// Writes docs/API.md: the typed API reference of @samsa/client, generated from the TSDoc in the
// compiled declarations (dist/src/*.d.ts, which tsc -b emits with their doc comments).
// Run after `npx tsc -b`: `npm run docs -w @samsa/client`. Private members are left out.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
mkdirSync(join(pkg, 'docs'), { recursive: true });
writeFileSync(join(pkg, 'docs', 'API.md'), out);
console.log(`docs/API.md: ${modules.length} modules, ${out.length} characters`);
