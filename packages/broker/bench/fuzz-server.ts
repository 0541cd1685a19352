/**
 * The broker the fuzz soak and its replays attack: a `samsa server` process with memory storage
 * in a fresh directory, with the steady topic and two of the fuzz pool's topics created, as the
 * soak had them at its start. FUZZ_BROKER_NODE_ARGS passes node flags to the broker, space-separated
 * (e.g. `--heapsnapshot-signal=SIGUSR2` to look at what its heap holds, `--cpu-prof` for a stall).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WireClient } from '../test/testkit/wire-client.js';
import { freePort, startServer, type ServerProcess } from '../test/support/server-process.js';
import { samsaCommand } from '../src/testkit/index.js';
import { FUZZ_TOPICS, type ServedApi } from '../test/fuzz/structured-fuzz.js';

export interface FuzzServer {
  port: number;
  pid: number;
  server: ServerProcess;
  /** The APIs and versions the broker serves (its ApiVersions answer), which the case generator draws from. */
  served: ServedApi[];
  /** Stops the broker (SIGTERM) and removes its directory. */
  stop: () => Promise<void>;
}

/** The broker's peak resident set (VmHWM) in MB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? -1 : Math.round(Number(m[1]) / 1024);
}

export async function startFuzzServer(): Promise<FuzzServer> {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-fuzz-soak-'));
  const port = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(props, [`listeners=PLAINTEXT://127.0.0.1:${port}`, `log.dirs=${join(dir, 'logs')}`, 'offsets.topic.replication.factor=1', 'socket.request.max.bytes=16777216', 'group.initial.rebalance.delay.ms=0', ''].join('\n'));
  const nodeArgs = (process.env['FUZZ_BROKER_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');
  const server = await startServer(props, ['--storage', 'memory'], { LOG_DIR: join(dir, 'server-logs') }, [...nodeArgs, ...samsaCommand()]);
  const admin = await WireClient.connect(port);
  await admin.send(19, 7, { topics: ['steady', ...FUZZ_TOPICS.slice(0, 2)].map((name) => ({ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 5000, validateOnly: false });
  const served = (await admin.send(18, 3, { clientSoftwareName: 'soak', clientSoftwareVersion: '1' })).apiKeys as ServedApi[];
  admin.close();
  return {
    port, pid: server.child.pid!, server, served,
    stop: async () => {
      if (server.child.exitCode === null) server.child.kill('SIGTERM');
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
