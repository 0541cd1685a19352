/**
 * Runs one of the Python client scripts (py/*.py) against a broker and checks what it wrote
 * (raw fetch: records and batch codecs) and what it read back (its own consumer).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestBroker } from '../../src/testkit/index.js';
import { assertSameRecords, assertStored, PYTHON, runChild, sampleRecords, type Codec, type SampleRecord, type SeenRecord } from '../support/interop.js';

/** The scripts live in the source tree (tsc does not copy them into dist). */
export function pyScript(name: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [`${here}py/${name}`, `${here.replace(/\/dist\/test\//, '/test/')}py/${name}`];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`cannot find ${name} (looked in ${candidates.join(', ')})`);
  return found;
}

export async function pythonModuleMissing(module: string): Promise<string | null> {
  if (!existsSync(PYTHON)) return `${PYTHON} is not installed`;
  const r = await runChild(PYTHON, ['-c', `import ${module}`], { timeoutMs: 20_000, allowFailure: true });
  return r.code === 0 ? null : `${PYTHON} cannot import ${module}: ${r.stderr.trim().split('\n').pop()}`;
}

export async function runPython(script: string, args: string[], input?: string, timeoutMs = 60_000): Promise<any> {
  const r = await runChild(PYTHON, [pyScript(script), ...args], input === undefined ? { timeoutMs } : { timeoutMs, input });
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${script} ${args.join(' ')} printed no JSON:\n${r.stdout.slice(-2000)}\nstderr:\n${r.stderr.slice(-4000)}`);
  }
}

/**
 * Creates one 3-partition topic per codec, has the script produce the sample set to each and
 * read it back with its consumer (assign + from the beginning), then checks both sides.
 */
export async function produceConsumeEveryCodec(tb: TestBroker, script: string, label: string, codecs: readonly Codec[], storedCodec: (c: Codec) => Codec = (c) => c, uncompressedFallback = false): Promise<void> {
  const topics: Array<{ topic: string; codec: Codec; records: SampleRecord[] }> = [];
  for (const codec of codecs) {
    const topic = `${label}-${codec}`;
    await tb.broker.topics.createTopic({ name: topic, numPartitions: 3 });
    topics.push({ topic, codec, records: sampleRecords(`${label}-${codec}`, { nullKeys: true, repeatedHeaderKeys: true }) });
  }
  const out = (await runPython(script, [tb.bootstrap, 'produce-consume'], JSON.stringify({ topics }))) as Array<{ topic: string; offsets: Array<[number, number]>; seen: SeenRecord[] }>;
  assert.equal(out.length, topics.length);
  for (const [i, t] of topics.entries()) {
    const res = out[i]!;
    assert.equal(res.topic, t.topic);
    // Delivery reports: offsets 0..n-1 per partition.
    const perPartition = new Map<number, number[]>();
    for (const [p, o] of res.offsets) perPartition.set(p, [...(perPartition.get(p) ?? []), o]);
    for (const [p, offs] of perPartition) assert.deepEqual([...offs].sort((a, b) => a - b), offs.map((_, k) => k), `${label} ${t.codec}: delivered offsets of partition ${p}`);
    await assertStored(tb.port, t.topic, t.records, storedCodec(t.codec), `${label} ${t.codec}`, { uncompressedFallback });
    assertSameRecords(res.seen, t.records, `${label} ${t.codec} (${label} consumer)`);
  }
}
