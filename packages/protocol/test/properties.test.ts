import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProperties } from '../src/properties.js';

test('separators: =, :, whitespace; surrounding whitespace trimmed', () => {
  const p = parseProperties('a=1\nb: 2\nc 3\n  d   =   4  \ne\t5\nf=\ng\n');
  assert.deepEqual(Object.fromEntries(p), { a: '1', b: '2', c: '3', d: '4  ', e: '5', f: '', g: '' });
});

test('comments with # and ! and blank lines are skipped', () => {
  const p = parseProperties('# comment\n! also\n\n   \n  # indented comment\nx=1 # not a comment\n');
  assert.deepEqual(Object.fromEntries(p), { x: '1 # not a comment' });
});

test('backslash continuation joins lines and drops leading whitespace', () => {
  const p = parseProperties('listeners=PLAINTEXT://a:1,\\\n    PLAINTEXT2://b:2\nnext=ok\n');
  assert.equal(p.get('listeners'), 'PLAINTEXT://a:1,PLAINTEXT2://b:2');
  assert.equal(p.get('next'), 'ok');
  // an even number of backslashes is an escaped backslash, not a continuation
  const q = parseProperties('path=c:\\\\dir\\\\\nother=1\n');
  assert.equal(q.get('path'), 'c:\\dir\\');
  assert.equal(q.get('other'), '1');
});

test('escapes in keys and values: \\t \\n \\uXXXX, escaped separators', () => {
  const p = parseProperties('key\\=with\\:seps = v\\tw\\nx\\u0041\\z\nsp\\ ace=1\n');
  assert.equal(p.get('key=with:seps'), 'v\tw\nxAz');
  assert.equal(p.get('sp ace'), '1');
  assert.throws(() => parseProperties('a=\\u12'), /Malformed/);
});

test('CRLF line endings and last duplicate wins', () => {
  const p = parseProperties('a=1\r\nb=2\r\na=3');
  assert.deepEqual(Object.fromEntries(p), { a: '3', b: '2' });
});

test('a comment line ending in a backslash does not continue', () => {
  const p = parseProperties('# comment \\\nx=1\n');
  assert.equal(p.get('x'), '1');
});
