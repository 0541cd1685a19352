/** Java .properties files: `k=v`, `k: v`, `k v`, # and ! comments, backslash continuations and escapes. */
import { readFileSync } from 'node:fs';
import { ConfigException } from './api.js';

export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  const unescape = (s: string): string => s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => (c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    if (m === null) out[unescape(line)] = '';
    else out[unescape(m[1]!)] = unescape(m[2]!);
  }
  return out;
}

export function loadProperties(path: string): Record<string, string> {
  try {
    return parseProperties(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigException(`Unable to read properties file ${path}: ${(e as Error).message}`);
  }
}
