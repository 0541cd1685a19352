/**
 * `kafka-server-stop [server.properties]` (also `samsa server-stop`): sends SIGTERM to running
 * Samsa brokers, which shut down cleanly. Like Kafka's script, with no argument it stops every
 * broker of this machine that it may signal and prints "No kafka server to stop" (exit 1) when
 * there is none. Samsa extension: with a properties file, only the broker holding the lock of
 * that config's log directories is stopped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { lockHolderPid } from '@samsa/broker';
import { loadServerConfig, parseServerArgs } from './server.js';

const SERVER_WORDS = new Set(['server', 'kafka-server-start', 'kafka-server-start.sh']);

/** Pids of node processes running `samsa server` or `kafka-server-start` (Linux /proc). */
function runningBrokers(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const script = argv.findIndex((a) => /(^|\/)(samsa|kafka-server-start)\.(js|ts)$/.test(a));
    if (script < 0) continue;
    const name = basename(argv[script]!);
    if (name.startsWith('kafka-server-start') || SERVER_WORDS.has(argv[script + 1] ?? '')) pids.push(Number(entry));
  }
  return pids;
}

export function runServerStop(argv: readonly string[]): number {
  let pids: number[];
  if (argv.length > 0) {
    const config = loadServerConfig(parseServerArgs(argv));
    pids = [...new Set(config.logDirs.map((d) => lockHolderPid(d)).filter((p): p is number => p !== null))];
  } else {
    pids = runningBrokers();
  }
  let signalled = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
      signalled++;
    } catch {
      // gone meanwhile, or not ours to signal
    }
  }
  if (signalled === 0) {
    process.stdout.write('No kafka server to stop\n');
    return 1;
  }
  return 0;
}
