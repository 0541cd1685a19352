/**
 * The CPU cost of TLS per byte, the part of the broker's TLS overhead that does not depend on
 * how busy the machine is: a child process streams MiB writes to this process over loopback,
 * once over plain TCP and once over TLS (the broker's defaults: TLSv1.3, an EC P-256
 * certificate, AES-256-GCM), and each side's CPU time (process.cpuUsage) per MiB is reported.
 * The receiving side is what a broker does for produce (decrypt), the sending side what it
 * does for fetch (encrypt).
 *
 *   npx tsc -b && node bench/dist/tls-cost.js [--mib 1024]
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';

const CHUNK = 1 << 20;

interface Side { cpuMsPerMiB: number; mibPerSec: number }

function cert(dir: string): { key: string; cert: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
}

/** Child: connects and writes `mib` MiB as fast as the socket drains, then reports its CPU. */
async function sender(port: number, tls: boolean, ca: string, mib: number): Promise<void> {
  const socket: Socket = tls ? tlsConnect({ port, host: '127.0.0.1', ca, servername: 'localhost' }) : netConnect({ port, host: '127.0.0.1' });
  await new Promise<void>((r) => socket.once(tls ? 'secureConnect' : 'connect', () => r()));
  const chunk = Buffer.alloc(CHUNK, 7);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < mib; i++) if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
  await new Promise<void>((r) => socket.end(r));
  const cpu = process.cpuUsage(cpu0);
  process.send!({ cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / mib, mibPerSec: mib / ((performance.now() - t0) / 1000) });
}

async function measure(tls: boolean, creds: { key: string; cert: string }, mib: number): Promise<{ receiver: Side; sender: Side }> {
  let received = 0;
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  let done!: (s: Side) => void;
  const receiverDone = new Promise<Side>((r) => (done = r));
  const onSocket = (s: Socket): void => {
    cpu0 = process.cpuUsage();
    t0 = performance.now();
    s.on('data', (d: Buffer) => (received += d.length));
    s.on('end', () => {
      const cpu = process.cpuUsage(cpu0);
      done({ cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / (received / CHUNK), mibPerSec: received / CHUNK / ((performance.now() - t0) / 1000) });
    });
  };
  const server = tls ? createTlsServer({ key: creds.key, cert: creds.cert }, onSocket) : createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const child = fork(fileURLToPath(import.meta.url), ['--child', String(port), tls ? 'tls' : 'tcp', String(mib)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, TLS_COST_CA: creds.cert } });
  const senderSide = await new Promise<Side>((r) => child.once('message', (m) => r(m as Side)));
  const receiverSide = await receiverDone;
  server.close();
  return { receiver: receiverSide, sender: senderSide };
}

if (process.argv[2] === '--child') {
  await sender(Number(process.argv[3]), process.argv[4] === 'tls', process.env['TLS_COST_CA'] ?? '', Number(process.argv[5]));
  process.exit(0);
} else {
  const i = process.argv.indexOf('--mib');
  const mib = i > 0 ? Number(process.argv[i + 1]) : 1024;
  const dir = mkdtempSync(join(tmpdir(), 'samsa-tls-cost-'));
  try {
    const creds = cert(dir);
    const plain = await measure(false, creds, mib);
    const tls = await measure(true, creds, mib);
    const f = (n: number): string => n.toFixed(2);
    console.log(`${mib} MiB in 1 MiB writes over loopback`);
    console.log('| side | TCP CPU ms/MiB | TLS CPU ms/MiB | TLS extra CPU ms/MiB | TCP MiB/s | TLS MiB/s |');
    console.log('|---|---:|---:|---:|---:|---:|');
    console.log(`| receiver (decrypt: broker on produce) | ${f(plain.receiver.cpuMsPerMiB)} | ${f(tls.receiver.cpuMsPerMiB)} | ${f(tls.receiver.cpuMsPerMiB - plain.receiver.cpuMsPerMiB)} | ${f(plain.receiver.mibPerSec)} | ${f(tls.receiver.mibPerSec)} |`);
    console.log(`| sender (encrypt: broker on fetch) | ${f(plain.sender.cpuMsPerMiB)} | ${f(tls.sender.cpuMsPerMiB)} | ${f(tls.sender.cpuMsPerMiB - plain.sender.cpuMsPerMiB)} | ${f(plain.sender.mibPerSec)} | ${f(tls.sender.mibPerSec)} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
