/**
 * File source → Kafka → file sink throughput of connect-standalone (the tutorial's pipeline):
 * writes N lines to a source file, starts a worker process with a FileStreamSource and a
 * FileStreamSink, and times from "Kafka Connect started" until the sink file holds every line.
 * The broker runs in this process (testkit, file or memory storage); the worker in its own.
 *
 *   node packages/connect/dist/bench/file-throughput.js [--lines 200000] [--size 100] [--storage file|memory]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBroker } from '@samsa/broker/testkit';

const arg = (name: string, def: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : process.argv[i + 1]!;
};
const lines = Number(arg('lines', '200000'));
const size = Number(arg('size', '100'));
const storage = arg('storage', 'file') as 'file' | 'memory';
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'bin', 'connect-standalone.js');

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(label: string, converter: string, schemas: boolean): Promise<void> {
  const broker = await startBroker({ storage });
  const dir = mkdtempSync(join(tmpdir(), 'connect-bench-'));
  try {
    const source = join(dir, 'test.txt');
    const sink = join(dir, 'test.sink.txt');
    const pad = 'x'.repeat(Math.max(0, size - 12));
    let text = '';
    for (let i = 0; i < lines; i++) text += `${String(i).padStart(10, '0')}-${pad}\n`;
    writeFileSync(source, text);
    const total = Buffer.byteLength(text);
    const props = (name: string, p: Record<string, string>): string => {
      const f = join(dir, name);
      writeFileSync(f, Object.entries(p).map(([k, v]) => `${k}=${v}`).join('\n'));
      return f;
    };
    const worker = props('worker.properties', {
      'bootstrap.servers': broker.bootstrap,
      'key.converter': converter,
      'value.converter': converter,
      'key.converter.schemas.enable': String(schemas),
      'value.converter.schemas.enable': String(schemas),
      'offset.storage.file.filename': join(dir, 'offsets'),
      'offset.flush.interval.ms': '10000',
      listeners: 'http://127.0.0.1:0',
    });
    const src = props('source.properties', { name: 'local-file-source', 'connector.class': 'FileStreamSource', 'tasks.max': '1', file: source, topic: 'connect-test' });
    const snk = props('sink.properties', { name: 'local-file-sink', 'connector.class': 'FileStreamSink', 'tasks.max': '1', file: sink, topics: 'connect-test' });
    const child = spawn(process.execPath, [bin, worker, src, snk], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 600000;
    while (!out.includes('Kafka Connect started')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`worker did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const t0 = performance.now();
    const cpu0 = cpuSeconds(child.pid!);
    const brokerCpu0 = process.cpuUsage();
    const sinkSize = (): number => {
      try {
        return statSync(sink).size;
      } catch {
        return 0;
      }
    };
    while (sinkSize() < total) {
      if (Date.now() > deadline) throw new Error(`sink has ${sinkSize()} of ${total} bytes`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const secs = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid!) - cpu0;
    const b = process.cpuUsage(brokerCpu0);
    const brokerCpu = (b.user + b.system) / 1e6;
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    console.log(`${label.padEnd(28)} ${lines} lines x ${size} B: ${secs.toFixed(2)} s, ${Math.round(lines / secs).toLocaleString('en-US')} lines/s, ${(total / secs / 1e6).toFixed(1)} MB/s, worker CPU ${((cpu / secs) * 100).toFixed(0)}% (${Math.round(lines / cpu).toLocaleString('en-US')} lines per worker CPU second), broker CPU ${((brokerCpu / secs) * 100).toFixed(0)}% of one core`);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await run('StringConverter', 'org.apache.kafka.connect.storage.StringConverter', false);
await run('JsonConverter (schemas)', 'org.apache.kafka.connect.json.JsonConverter', true);
await run('JsonConverter (no schemas)', 'org.apache.kafka.connect.json.JsonConverter', false);
