/**
 * The floor under the broker's produce cost on this machine: a bare node process doing the
 * same socket-in / file-out work as a broker taking acks=1 produce, with no broker around it.
 * A child process streams 1 MiB writes over loopback; this process reads them into reused
 * buffers (Node's `onread`, as the broker's direct reads do) and writes every byte to 256 MiB "segment" files on the
 * libuv thread pool, deleting files beyond 512 MiB (the rdkafka bench's segment.bytes and
 * retention.bytes, so the page cache churns as it does under the broker). Its CPU seconds per
 * GB (all threads, process.cpuUsage) are what the kernel's two copies, the syscalls and the
 * page cache cost; the broker cannot go below them.
 *
 *   npx tsc -b && node bench/dist/produce-floor.js [--gb 2] [--rounds 3]
 */
import { fork } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, write } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHUNK = 1 << 20;
const SEGMENT_BYTES = 256 * 1024 * 1024;
const RETAINED_SEGMENTS = 2;

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

async function receiver(bytes: number): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-floor-'));
  // Two read buffers: a read lands in one while the other's write runs; reading pauses while both are being written.
  const buffers = [Buffer.allocUnsafeSlow(1 << 20), Buffer.allocUnsafeSlow(1 << 20)];
  const busy = [false, false];
  let current = 0;
  let fd = -1;
  let segment = 0;
  let position = 0;
  let received = 0;
  let writesInFlight = 0;
  const files: string[] = [];
  const roll = (): void => {
    if (fd >= 0) closeSync(fd);
    const path = join(dir, `${String(segment++).padStart(20, '0')}.log`);
    fd = openSync(path, 'w');
    files.push(path);
    position = 0;
    while (files.length > RETAINED_SEGMENTS) unlinkSync(files.shift()!);
  };
  roll();
  let socket: Socket | null = null;
  const child = fork(fileURLToPath(import.meta.url), ['--send', String(bytes)], { execArgv: process.execArgv });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const done = new Promise<void>((resolve, reject) => {
    const onRead = (n: number, buf: Uint8Array): boolean => {
      received += n;
      if (position + n > SEGMENT_BYTES) roll();
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
      position += n;
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
  closeSync(fd);
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
  const bytes = Math.round(arg('--gb', 2) * 1e9 / CHUNK) * CHUNK;
  const rounds = arg('--rounds', 3);
  const results: Round[] = [];
  for (let r = 1; r <= rounds; r++) {
    const res = await receiver(bytes);
    results.push(res);
    console.log(`round ${r}: ${res.mbPerSec.toFixed(0)} MB/s, ${res.cpuPerGb.toFixed(2)} CPU-s/GB (${(1000 / res.cpuPerGb).toFixed(0)} MB/s per core), load ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
  }
  const sorted = results.map((r) => r.cpuPerGb).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`median: ${median.toFixed(2)} CPU-s/GB = ${(1000 / median).toFixed(0)} MB/s per core`);
}

await main();
