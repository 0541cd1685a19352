/**
 * The floor under the broker's produce cost on this machine: a bare node process doing the
 * same socket-in / file-out work as a broker taking acks=1 produce, with no broker around it.
 * A child process streams 1 MiB writes over loopback; this process reads them into reused
 * buffers (Node's `onread`, as the broker's direct reads do) and writes each read, in turn, to
 * one of 8 "partitions" on the libuv thread pool: 256 MiB segment files, the oldest deleted
 * beyond 512 MiB per partition (bench/rdkafka-perf.sh's topic: 8 partitions, segment.bytes and
 * retention.bytes), so the page cache takes new pages as it does under the broker. Its CPU
 * seconds per GB (all threads, process.cpuUsage) are what the kernel's two copies, the
 * syscalls and the page cache cost; the broker cannot go below them.
 *
 *   npx tsc -b && node bench/dist/produce-floor.js [--gb 3] [--rounds 3] [--partitions 8]
 */
import { fork } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, write } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHUNK = 1 << 20;
const SEGMENT_BYTES = 256 * 1024 * 1024;
const RETENTION_BYTES = 512 * 1024 * 1024;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
}

/** Child: listens, prints its port, and writes `bytes` to the first connection as fast as it drains. */
async function sender(bytes: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, 0x5a);
  const server = createServer(async (socket) => {
    for (let sent = 0; sent < bytes; sent += CHUNK) {
      if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
    }
    socket.end();
    server.close();
  });
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
}

interface Round { cpuPerGb: number; mbPerSec: number }

/** One partition's segment files: appends at the end, rolls at SEGMENT_BYTES, deletes the oldest beyond RETENTION_BYTES. */
class Partition {
  private fd = -1;
  private position = 0;
  private next = 0;
  private readonly files: string[] = [];

  constructor(private readonly dir: string) {
    this.roll();
  }

  /** Where `n` more bytes go: [fd, position]. */
  place(n: number): [number, number] {
    if (this.position + n > SEGMENT_BYTES) this.roll();
    const at = this.position;
    this.position += n;
    return [this.fd, at];
  }

  close(): void {
    closeSync(this.fd);
  }

  private roll(): void {
    if (this.fd >= 0) closeSync(this.fd);
    const path = join(this.dir, `${String(this.next++ * SEGMENT_BYTES).padStart(20, '0')}.log`);
    this.fd = openSync(path, 'w');
    this.files.push(path);
    this.position = 0;
    while (this.files.length * SEGMENT_BYTES > RETENTION_BYTES + SEGMENT_BYTES) unlinkSync(this.files.shift()!);
  }
}

async function receiver(bytes: number, partitionCount: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-floor-'));
  // Two read buffers: a read lands in one while the other's write runs; reading pauses while both are being written.
  const buffers = [Buffer.allocUnsafeSlow(1 << 20), Buffer.allocUnsafeSlow(1 << 20)];
  const busy = [false, false];
  let current = 0;
  let received = 0;
  let writesInFlight = 0;
  const partitions = Array.from({ length: partitionCount }, (_, i) => new Partition(mkdtempSync(join(dir, `p${i}-`))));
  let nextPartition = 0;
  let socket: Socket | null = null;
  const child = fork(fileURLToPath(import.meta.url), ['--send', String(bytes)], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const done = new Promise<void>((resolve, reject) => {
    const onRead = (n: number, buf: Uint8Array): boolean => {
      received += n;
      const [fd, position] = partitions[nextPartition]!.place(n);
      nextPartition = (nextPartition + 1) % partitions.length;
      writesInFlight++;
      const which = current;
      busy[which] = true;
      if (busy[which ^ 1]) socket!.pause();
      else current = which ^ 1;
      write(fd, buf, 0, n, position, (err) => {
        if (err !== null) reject(err);
        writesInFlight--;
        busy[which] = false;
        if (socket!.isPaused()) {
          current = which;
          socket!.resume();
        }
        if (received >= bytes && writesInFlight === 0) resolve();
      });
      return true;
    };
    socket = connect({ port, host: '127.0.0.1', onread: { buffer: () => buffers[current]!, callback: onRead } });
    socket.on('error', reject);
  });
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  (socket as Socket | null)?.destroy();
  for (const p of partitions) p.close();
  rmSync(dir, { recursive: true, force: true });
  const gb = received / 1e9;
  return { cpuPerGb: (cpu.user + cpu.system) / 1e6 / gb, mbPerSec: received / 1e6 / seconds };
}

async function main(): Promise<void> {
  const send = process.argv.indexOf('--send');
  if (send >= 0) {
    await sender(Number(process.argv[send + 1]));
    return;
  }
  const bytes = Math.round(arg('--gb', 3) * 1e9 / CHUNK) * CHUNK;
  const partitionCount = arg('--partitions', 8);
  const rounds = arg('--rounds', 3);
  const results: Round[] = [];
  for (let r = 1; r <= rounds; r++) {
    const res = await receiver(bytes, partitionCount);
    results.push(res);
    console.log(`round ${r}: ${res.mbPerSec.toFixed(0)} MB/s, ${res.cpuPerGb.toFixed(2)} CPU-s/GB (${(1000 / res.cpuPerGb).toFixed(0)} MB/s per core), load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
  }
  const sorted = results.map((r) => r.cpuPerGb).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`median: ${median.toFixed(2)} CPU-s/GB = ${(1000 / median).toFixed(0)} MB/s per core`);
}

await main();
