// Round trips every message of every version through the generated codecs, with values drawn
// from the schema model the codecs were generated from: decode(encode(x)) equals x and
// encode(decode(bytes)) equals bytes, unknown tagged fields included in flexible versions.
// Defaults are re-derived here from the schema's "default" strings (Kafka's rules), not taken
// from the generated code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import * as generated from '../src/generated/index.js';
import { type FieldModel, type MessageModel, messageModels } from '../src/generated/schema-model.js';
import { apis, API_COUNT } from '../src/apis.js';
import { ProtocolDecodeError } from '../src/primitives/errors.js';
import { Reader } from '../src/primitives/reader.js';
import { Writer } from '../src/primitives/writer.js';

const NUM_RUNS = Number(process.env['SAMSA_PROP_RUNS'] ?? 100);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

type Codec = {
  encode: (w: Writer, version: number, msg: unknown) => void;
  decode: (r: Reader, version: number) => unknown;
};

function codecOf(name: string): Codec {
  const g = generated as unknown as Record<string, unknown>;
  const encode = g[`encode${name}`];
  const decode = g[`decode${name}`];
  assert.equal(typeof encode, 'function', `encode${name} is exported`);
  assert.equal(typeof decode, 'function', `decode${name} is exported`);
  return { encode: encode as Codec['encode'], decode: decode as Codec['decode'] };
}

const inRange = (r: readonly [number, number] | null | undefined, v: number): boolean =>
  r !== undefined && r !== null && v >= r[0] && v <= r[1];

function defaultOf(f: FieldModel): unknown {
  const d = f.default;
  if (d === 'null') return null;
  if (f.type.startsWith('[]')) return [];
  switch (f.type) {
    case 'struct': return defaultStruct(f.fields!);
    case 'bool': return d !== undefined && d.toLowerCase() === 'true';
    case 'int64': return d === undefined || d === '' ? 0n : BigInt(d);
    case 'string': return d ?? '';
    case 'uuid': return ZERO_UUID;
    case 'bytes': return Buffer.alloc(0);
    case 'records': return null;
    default: return d === undefined || d === '' ? 0 : Number(d);
  }
}

function defaultStruct(fields: readonly FieldModel[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[f.name] = defaultOf(f);
  return o;
}

const uuidArb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
});
const bytesArb = fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a));

function scalarArb(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool': return fc.boolean();
    case 'int8': return fc.integer({ min: -128, max: 127 });
    case 'int16': return fc.integer({ min: -32768, max: 32767 });
    case 'uint16': return fc.integer({ min: 0, max: 65535 });
    case 'int32': return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'uint32': return fc.integer({ min: 0, max: 2 ** 32 - 1 });
    case 'int64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case 'float64': return fc.double();
    case 'string': return fc.string({ maxLength: 8, unit: 'grapheme' });
    case 'uuid': return uuidArb;
    case 'bytes': case 'records': return bytesArb;
    default: throw new Error(`no arbitrary for ${type}`);
  }
}

/** Unknown tagged fields: unique tags (not used by known tagged fields), ascending. */
function unknownTagsArb(fields: readonly FieldModel[]): fc.Arbitrary<{ tag: number; data: Buffer }[]> {
  const known = new Set(fields.filter((f) => f.tag !== undefined).map((f) => f.tag!));
  const free: number[] = [];
  for (let t = 0; free.length < 12; t++) if (!known.has(t)) free.push(t);
  free.push(1000, 70000); // multi-byte varint tags
  return fc.uniqueArray(fc.constantFrom(...free), { maxLength: 3 }).chain((tags) =>
    fc.tuple(...tags.sort((a, b) => a - b).map((tag) => bytesArb.map((data) => ({ tag, data })))));
}

function structArb(fields: readonly FieldModel[], v: number, flexible: boolean): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) parts[f.name] = inRange(f.versions, v) ? valueArb(f, v, flexible) : fc.constant(defaultOf(f));
  const base = fc.record(parts).map((o) => ({ ...o }));
  if (!flexible) return base;
  return fc.tuple(base, fc.option(unknownTagsArb(fields), { nil: undefined })).map(([o, unknown]) => {
    if (unknown !== undefined && unknown.length > 0) return { ...o, _unknownTaggedFields: unknown };
    return o;
  });
}

function valueArb(f: FieldModel, v: number, flexible: boolean): fc.Arbitrary<unknown> {
  let arb: fc.Arbitrary<unknown>;
  if (f.type === 'struct') arb = structArb(f.fields!, v, flexible);
  else if (f.type === '[]struct') arb = fc.array(structArb(f.fields!, v, flexible), { maxLength: 3 });
  else if (f.type.startsWith('[]')) arb = fc.array(scalarArb(f.type.slice(2)), { maxLength: 4 });
  else arb = scalarArb(f.type);
  return inRange(f.nullableVersions, v) ? fc.option(arb, { nil: null, freq: 4 }) : arb;
}

function roundTrip(model: MessageModel, codec: Codec, version: number): void {
  const flexible = inRange(model.flexibleVersions, version);
  fc.assert(
    fc.property(structArb(model.fields, version, flexible), (value) => {
      const w = new Writer(64);
      codec.encode(w, version, value);
      const bytes = w.toBuffer();
      const r = new Reader(bytes);
      const decoded = codec.decode(r, version);
      assert.equal(r.remaining, 0, 'decoder consumed every byte');
      assert.deepStrictEqual(decoded, value);
      const w2 = new Writer(64);
      codec.encode(w2, version, decoded);
      assert.ok(w2.toBuffer().equals(bytes), 'encode(decode(bytes)) equals bytes');
    }),
    { numRuns: NUM_RUNS },
  );
}

function specRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown }).workspaces !== undefined) {
      return resolve(dir, '..', 'shared', 'kafka-spec');
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('no workspace root');
    dir = up;
  }
}

const counts = { request: 0, response: 0, header: 0, data: 0, pairs: 0, dataVersions: 0 };

for (const model of messageModels) {
  test(`${model.kind} ${model.name}: round trip v${model.validVersions[0]}-${model.validVersions[1]}`, () => {
    const codec = codecOf(model.name);
    for (let v = model.validVersions[0]; v <= model.validVersions[1]; v++) {
      roundTrip(model, codec, v);
      if (model.kind === 'request') counts.pairs++;
      else if (model.kind !== 'response') counts.dataVersions++;
    }
    counts[model.kind]++;
  });
}

test('every schema of the spec was covered', () => {
  const message = readdirSync(join(specRoot(), 'message'));
  const requests = message.filter((f) => f.endsWith('Request.json')).length;
  const responses = message.filter((f) => f.endsWith('Response.json')).length;
  const internal = ['group-coordinator', 'transaction-coordinator']
    .map((d) => readdirSync(join(specRoot(), d)).filter((f) => f.endsWith('.json')).length)
    .reduce((a, b) => a + b, 0);
  console.log(`round-trip: ${counts.request} request schemas, ${counts.response} response schemas, ` +
    `${counts.pairs} (api,version) pairs each way, ${counts.header + counts.data} header/data schemas ` +
    `(${counts.dataVersions} versions), ${NUM_RUNS} runs each`);
  assert.equal(counts.request, requests);
  assert.equal(counts.response, responses);
  assert.equal(API_COUNT, requests);
  assert.equal(apis.filter((a) => a !== undefined).length, requests);
  assert.ok(counts.data >= internal, `internal record schemas covered (${counts.data} >= ${internal})`);
  assert.equal(counts.header, 2);
});

test('decoding random bytes only ever throws ProtocolDecodeError', () => {
  let decoded = 0;
  let rejected = 0;
  for (const api of apis) {
    if (api === undefined) continue;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      for (const decode of [api.decodeRequest, api.decodeResponse]) {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
            try {
              decode(new Reader(Buffer.from(bytes)), v);
              decoded++;
            } catch (e) {
              if (!(e instanceof ProtocolDecodeError)) throw e;
              rejected++;
            }
          }),
          { numRuns: 20 },
        );
      }
    }
  }
  assert.ok(rejected > 0 && decoded + rejected > 0);
});
