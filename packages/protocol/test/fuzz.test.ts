// Fuzzing the decoders: whatever bytes arrive, decoding a request (the broker's steps: peek the
// header, decode the header, decode the body) and decoding a record batch only ever throw
// ProtocolDecodeError. Anything else (RangeError, TypeError, a codec library's own error, an
// allocation failure) fails the test with the input that caused it. Inputs: random frames, every
// prefix of every golden frame, bit flips of golden frames, random bodies behind valid headers
// for every (api, version), and golden bodies read at every other version of their API.
// Bounded: a fixed number of cases from a seeded PRNG (FUZZ_SEED=n to vary it), well under 30 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, apiByKey, apis, isVersionKnown } from '../src/apis.js';
import { peekRequestHeader } from '../src/framing.js';
import { decodeRequestHeader, encodeRequestHeader } from '../src/generated/request-header.js';
import { ProtocolDecodeError } from '../src/primitives/errors.js';
import { Reader } from '../src/primitives/reader.js';
import { Writer } from '../src/primitives/writer.js';
import { BATCH_ATTRIBUTES, BATCH_CRC, decodeRecordBatch, decodeRecordBatches, verifyBatchCrc } from '../src/records/index.js';
import { loadGoldenFrames } from './support/golden-fixtures.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? 0x5a45a);
/** FUZZ_SCALE=n multiplies the random case counts for a longer hunt by hand. */
const SCALE = Math.max(1, Number(process.env['FUZZ_SCALE'] ?? 1));

/** xorshift32: small, seeded, reproducible. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
const rand = prng(SEED);
const randInt = (n: number): number => rand() % n;
function randomBytes(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = rand() & 0xff;
  return b;
}

type Outcome = 'decoded' | 'rejected' | 'unknown-api';

/** What the broker does with a frame: peek, then header and body with the generated codecs. */
function decodeLikeBroker(frame: Buffer): Outcome {
  const peek = peekRequestHeader(frame);
  if (peek === null) return 'rejected';
  const api = apiByKey(peek.apiKey);
  if (api === undefined || !isVersionKnown(api, peek.apiVersion)) return 'unknown-api';
  const r = new Reader(frame);
  decodeRequestHeader(r, api.requestHeaderVersion(peek.apiVersion));
  api.decodeRequest(r, peek.apiVersion);
  return 'decoded';
}

class FuzzFailure extends Error {}

/** Runs `fn`; a thrown ProtocolDecodeError is fine, anything else is a failure naming the input. */
function onlyDecodeErrors<T>(what: string, input: Buffer, fn: () => T): T | ProtocolDecodeError {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ProtocolDecodeError) return e;
    const name = (e as Error)?.constructor?.name ?? typeof e;
    throw new FuzzFailure(`${what}: ${name}: ${(e as Error)?.message} (seed ${SEED}); input ${input.length} bytes: ${input.toString('hex').slice(0, 400)}`);
  }
}

const golden = loadGoldenFrames();

test(`fuzz (seed ${SEED}): random frames`, () => {
  let decoded = 0;
  for (let i = 0; i < 20_000 * SCALE; i++) {
    const frame = randomBytes(randInt(96));
    // steer half of them to real api keys and versions so the body decoders are reached
    if (frame.length >= 4 && i % 2 === 0) {
      const api = apis[randInt(apis.length)];
      if (api !== undefined) {
        frame.writeInt16BE(api.apiKey, 0);
        frame.writeInt16BE(api.minVersion + randInt(api.maxVersion - api.minVersion + 1), 2);
      }
    }
    if (onlyDecodeErrors('random frame', frame, () => decodeLikeBroker(frame)) === 'decoded') decoded++;
  }
  assert.ok(decoded >= 0);
});

test('fuzz: every prefix of every golden frame', () => {
  assert.ok(golden.length > 0);
  for (const { fixture, frame } of golden) {
    assert.equal(decodeLikeBroker(frame), 'decoded', fixture.file);
    for (let n = 0; n < frame.length; n++) {
      const prefix = frame.subarray(0, n);
      const out = onlyDecodeErrors(`${fixture.file} truncated to ${n}`, prefix, () => decodeLikeBroker(prefix));
      // a prefix long enough to hold a header always ends in an error: no body is complete early
      if (n >= 8) assert.ok(out instanceof ProtocolDecodeError, `${fixture.file} truncated to ${n} bytes decoded without error`);
    }
  }
});

test(`fuzz (seed ${SEED}): bit flips in golden frames`, () => {
  for (const { fixture, frame } of golden) {
    const copy = Buffer.from(frame);
    // every single-bit flip past the api key/version (those only pick another decoder)
    for (let bit = 32; bit < frame.length * 8; bit++) {
      copy[bit >> 3]! ^= 1 << (bit & 7);
      onlyDecodeErrors(`${fixture.file} bit ${bit} flipped`, copy, () => decodeLikeBroker(copy));
      copy[bit >> 3]! ^= 1 << (bit & 7);
    }
    // and random multi-byte damage anywhere, header included
    for (let i = 0; i < 50 * SCALE; i++) {
      const bad = Buffer.from(frame);
      const hits = 1 + randInt(8);
      for (let h = 0; h < hits; h++) bad[randInt(bad.length)] = rand() & 0xff;
      onlyDecodeErrors(`${fixture.file} damaged`, bad, () => decodeLikeBroker(bad));
    }
  }
});

test(`fuzz (seed ${SEED}): random bodies behind valid headers, every api and version`, () => {
  let pairs = 0;
  for (const api of apis) {
    if (api === undefined) continue;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      pairs++;
      const w = new Writer();
      encodeRequestHeader(w, api.requestHeaderVersion(v), { requestApiKey: api.apiKey, requestApiVersion: v, correlationId: 7, clientId: 'fuzz' });
      const header = w.toBuffer();
      for (let i = 0; i < 40 * SCALE; i++) {
        // mostly small values: short lengths and counts reach deeper into the structure
        const body = randomBytes(randInt(i < 20 ? 24 : 160));
        if (i % 3 === 0) for (let j = 0; j < body.length; j++) if (rand() % 4 !== 0) body[j] = rand() % 3;
        const frame = Buffer.concat([header, body]);
        onlyDecodeErrors(`${api.name} v${v} random body`, frame, () => decodeLikeBroker(frame));
      }
    }
  }
  assert.ok(pairs > 100, `${pairs} (api, version) pairs`);
});

test('fuzz: golden bodies read at every other version of their api', () => {
  for (const { fixture, frame } of golden) {
    const api = apis[fixture.apiKey]!;
    for (let v = api.minVersion; v <= api.maxVersion; v++) {
      for (let hv = 0; hv <= 2; hv++) {
        const r = new Reader(frame);
        onlyDecodeErrors(`${fixture.file} as v${v} with header v${hv}`, frame, () => {
          decodeRequestHeader(r, hv);
          return api.decodeRequest(r, v);
        });
      }
    }
  }
});

/** Every record batch section (the `records` field) of the golden Produce frames. */
function goldenRecordSets(): Array<{ name: string; records: Buffer }> {
  const out: Array<{ name: string; records: Buffer }> = [];
  for (const { fixture, frame } of golden) {
    if (fixture.apiKey !== ApiKey.Produce) continue;
    const api = apis[ApiKey.Produce]!;
    const r = new Reader(frame);
    decodeRequestHeader(r, api.requestHeaderVersion(fixture.apiVersion));
    const body = api.decodeRequest(r, fixture.apiVersion) as { topicData: Array<{ partitionData: Array<{ records: Buffer | null }> }> };
    for (const t of body.topicData) for (const p of t.partitionData) if (p.records !== null) out.push({ name: `${fixture.file} (${fixture.codec})`, records: p.records });
  }
  return out;
}

test('fuzz: truncated golden record batches', () => {
  const sets = goldenRecordSets();
  assert.ok(sets.length >= 10);
  for (const { name, records } of sets) {
    const first = decodeRecordBatch(records, 0);
    assert.ok(first.records.length > 0);
    for (let n = 0; n < records.length; n++) {
      const prefix = records.subarray(0, n);
      const one = onlyDecodeErrors(`${name} batch truncated to ${n}`, prefix, () => decodeRecordBatch(prefix, 0));
      const many = onlyDecodeErrors(`${name} batches truncated to ${n}`, prefix, () => decodeRecordBatches(prefix));
      if (n < first.sizeInBytes) {
        assert.ok(one instanceof ProtocolDecodeError, `${name} truncated to ${n} bytes decoded as a batch`);
        // the multi-batch reader leaves out a trailing partial batch, as Fetch responses need
        assert.deepEqual(many, []);
      }
    }
  }
});

test(`fuzz (seed ${SEED}): bit-flipped golden record batches`, () => {
  for (const { name, records } of goldenRecordSets()) {
    const copy = Buffer.from(records);
    for (let bit = 0; bit < records.length * 8; bit++) {
      const byte = bit >> 3;
      copy[byte]! ^= 1 << (bit & 7);
      // the CRC32C covers attributes..end and every single-bit error in it is caught, so is a
      // flip in the CRC field itself; before that (base offset, length, epoch, magic) it is not
      if (byte >= BATCH_CRC) {
        const ok = onlyDecodeErrors(`${name} bit ${bit} verify`, copy, () => verifyBatchCrc(copy, 0));
        assert.ok(ok === false || ok instanceof ProtocolDecodeError, `${name}: flip of bit ${bit} (byte ${byte}) not detected by the CRC`);
        const checked = onlyDecodeErrors(`${name} bit ${bit} decode`, copy, () => decodeRecordBatch(copy, 0));
        assert.ok(checked instanceof ProtocolDecodeError, `${name}: flip of bit ${bit} decoded despite the CRC`);
      }
      // what the decoder does with damage when the CRC is not checked (a broker that trusts it)
      if (byte >= BATCH_ATTRIBUTES || byte < BATCH_CRC) {
        onlyDecodeErrors(`${name} bit ${bit} decode without crc`, copy, () => decodeRecordBatch(copy, 0, { verifyCrc: false }));
      }
      copy[byte]! ^= 1 << (bit & 7);
    }
    for (let i = 0; i < 100 * SCALE; i++) {
      const bad = Buffer.from(records);
      const hits = 1 + randInt(6);
      for (let h = 0; h < hits; h++) bad[BATCH_ATTRIBUTES + randInt(bad.length - BATCH_ATTRIBUTES)] = rand() & 0xff;
      onlyDecodeErrors(`${name} damaged, crc off`, bad, () => decodeRecordBatches(bad, { verifyCrc: false }));
      const checked = onlyDecodeErrors(`${name} damaged`, bad, () => decodeRecordBatches(bad));
      if (!bad.equals(records)) assert.ok(checked instanceof ProtocolDecodeError, `${name}: damage not detected by the CRC`);
    }
  }
});
