/**
 * A java.util.Properties reader (the `load(Reader)` grammar): `key=value`, `key: value`,
 * `key value`; `#` and `!` comment lines; a line ending in an odd number of backslashes
 * continues on the next line (whose leading whitespace is dropped); escapes \t \n \r \f \uXXXX
 * and `\x` = x in keys and values. Later duplicates win, as in Java.
 */
export class PropertiesSyntaxError extends Error {
  override readonly name = 'PropertiesSyntaxError';
}

const WS = new Set([' ', '\t', '\f']);

function logicalLines(text: string): string[] {
  const natural = text.split(/\r\n|\r|\n/);
  const out: string[] = [];
  let current: string | null = null;
  for (const raw of natural) {
    let line = raw;
    if (current !== null) {
      let i = 0;
      while (i < line.length && WS.has(line[i]!)) i++;
      line = line.slice(i);
    } else {
      let i = 0;
      while (i < line.length && WS.has(line[i]!)) i++;
      if (i === line.length) continue;
      const first = line[i]!;
      if (first === '#' || first === '!') continue;
      line = line.slice(i);
    }
    let backslashes = 0;
    for (let j = line.length - 1; j >= 0 && line[j] === '\\'; j--) backslashes++;
    if (backslashes % 2 === 1) {
      current = (current ?? '') + line.slice(0, -1);
      continue;
    }
    out.push((current ?? '') + line);
    current = null;
  }
  if (current !== null) out.push(current);
  return out;
}

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    i++;
    if (i >= s.length) break;
    const e = s[i]!;
    switch (e) {
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 'f': out += '\f'; break;
      case 'u': {
        const hex = s.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new PropertiesSyntaxError(`Malformed \\uxxxx encoding in "${s}"`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default: out += e;
    }
  }
  return out;
}

export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const line of logicalLines(text)) {
    let i = 0;
    let keyEnd = -1;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (c === '\\') {
        i++;
        continue;
      }
      if (c === '=' || c === ':' || WS.has(c)) {
        keyEnd = i;
        break;
      }
    }
    if (keyEnd < 0) {
      props.set(unescape(line), '');
      continue;
    }
    const key = line.slice(0, keyEnd);
    let v = keyEnd;
    while (v < line.length && WS.has(line[v]!)) v++;
    if (v < line.length && (line[v] === '=' || line[v] === ':')) {
      v++;
      while (v < line.length && WS.has(line[v]!)) v++;
    }
    props.set(unescape(key), unescape(line.slice(v)));
  }
  return props;
}
