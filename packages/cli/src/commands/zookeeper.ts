/**
 * The tutorials' ZooKeeper commands. `zookeeper-server-start config/zookeeper.properties` runs
 * the installed Apache ZooKeeper (Debian's package) in the foreground with that config;
 * `zookeeper-shell host:2181[/chroot] [command]` is Kafka's ZooKeeper shell (ls, get, stat,
 * create, set, delete, deleteall), one-shot with a command or interactive on stdin.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ZkClient, ZkError, type ZkStat } from '@samsa/broker';
import { zooKeeperJavaArgs, ZOOKEEPER_JAR } from '@samsa/broker/testkit';
import type { Io } from '../tool.js';

export async function runZookeeperServerStart(argv: readonly string[], io: Io): Promise<number> {
  const args = argv.filter((a) => a !== '-daemon' && a !== '--daemon');
  if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
    io.err('USAGE: zookeeper-server-start [-daemon] zookeeper.properties\n');
    return 1;
  }
  const config = args[0]!;
  if (!existsSync(config)) {
    io.err(`zookeeper-server-start: config file ${config} not found\n`);
    return 1;
  }
  if (!existsSync(ZOOKEEPER_JAR)) {
    io.err(`Apache ZooKeeper is not installed (${ZOOKEEPER_JAR} is missing). Install it with: sudo apt-get install zookeeper\n`);
    return 1;
  }
  readFileSync(config, 'utf8');
  const child = spawn('java', zooKeeperJavaArgs([config]), { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return await new Promise<number>((resolve) => {
    child.on('error', (e) => {
      io.err(`Could not start java for ZooKeeper: ${e.message}. Install a Java runtime (sudo apt-get install zookeeper pulls one in).\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? 0 : 1)));
  });
}

const hex = (n: bigint): string => `0x${n.toString(16)}`;

function formatStat(s: ZkStat): string {
  return [
    `cZxid = ${hex(s.czxid)}`, `ctime = ${new Date(Number(s.ctime)).toUTCString()}`, `mZxid = ${hex(s.mzxid)}`, `mtime = ${new Date(Number(s.mtime)).toUTCString()}`,
    `pZxid = ${hex(s.pzxid)}`, `cversion = ${s.cversion}`, `dataVersion = ${s.version}`, `aclVersion = ${s.aversion}`, `ephemeralOwner = ${hex(s.ephemeralOwner)}`,
    `dataLength = ${s.dataLength}`, `numChildren = ${s.numChildren}`,
  ].join('\n') + '\n';
}

const SHELL_HELP = `ZooKeeper -server host:port cmd args
\tcreate [-e] path [data]
\tdelete path
\tdeleteall path
\tget path
\tls [-R] path
\tset path data
\tstat path
\tquit
`;

async function listRecursive(zk: ZkClient, path: string, out: string[]): Promise<void> {
  out.push(path);
  for (const c of (await zk.getChildren(path)) ?? []) await listRecursive(zk, path === '/' ? `/${c}` : `${path}/${c}`, out);
}

async function deleteAll(zk: ZkClient, path: string): Promise<void> {
  for (const c of (await zk.getChildren(path)) ?? []) await deleteAll(zk, path === '/' ? `/${c}` : `${path}/${c}`);
  await zk.delete(path);
}

/** Runs one shell command; returns false for quit. */
async function shellCommand(zk: ZkClient, words: string[], io: Io): Promise<boolean> {
  const [cmd, ...rest] = words;
  const path = rest.find((w) => !w.startsWith('-')) ?? '';
  try {
    switch (cmd) {
      case undefined:
        return true;
      case 'quit':
      case 'exit':
        return false;
      case 'ls': {
        if (rest.includes('-R')) {
          const out: string[] = [];
          await listRecursive(zk, path, out);
          io.out(out.join('\n') + '\n');
          break;
        }
        const children = await zk.getChildren(path);
        if (children === null) io.err(`Node does not exist: ${path}\n`);
        else io.out(`[${children.join(', ')}]\n`);
        break;
      }
      case 'get': {
        const r = await zk.getData(path);
        if (r === null) io.err(`Node does not exist: ${path}\n`);
        else io.out(`${r.data === null ? 'null' : r.data.toString('utf8')}\n`);
        break;
      }
      case 'stat': {
        const s = await zk.exists(path);
        if (s === null) io.err(`Node does not exist: ${path}\n`);
        else io.out(formatStat(s));
        break;
      }
      case 'create': {
        const args = rest.filter((w) => !w.startsWith('-'));
        await zk.create(args[0]!, args[1] === undefined ? null : Buffer.from(args[1]), rest.includes('-e') ? 1 : 0);
        io.out(`Created ${args[0]}\n`);
        break;
      }
      case 'set':
        await zk.setData(path, Buffer.from(rest[1] ?? ''));
        break;
      case 'delete':
        await zk.delete(path);
        break;
      case 'deleteall':
      case 'rmr':
        await deleteAll(zk, path);
        break;
      default:
        io.err(SHELL_HELP);
    }
  } catch (e) {
    if (e instanceof ZkError && e.code === -101) io.err(`Node does not exist: ${e.path ?? path}\n`);
    else if (e instanceof ZkError && e.code === -110) io.err(`Node already exists: ${e.path ?? path}\n`);
    else if (e instanceof ZkError && e.code === -111) io.err(`Node not empty: ${e.path ?? path}\n`);
    else io.err(`${e instanceof Error ? e.message : String(e)}\n`);
  }
  return true;
}

export async function runZookeeperShell(argv: readonly string[], io: Io): Promise<number> {
  const [server, ...command] = argv;
  if (server === undefined || server === '--help' || server === '-h') {
    io.err('USAGE: zookeeper-shell zookeeper_host:port[/path] [-zk-tls-config-file file] [args...]\n');
    return 1;
  }
  io.out(`Connecting to ${server}\n`);
  let zk: ZkClient;
  try {
    zk = await ZkClient.connect({ connectString: server, sessionTimeoutMs: 30000, connectionTimeoutMs: 30000 });
  } catch (e) {
    io.err(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  io.out('\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n');
  try {
    if (command.length > 0) {
      await shellCommand(zk, command, io);
      return 0;
    }
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      if (!(await shellCommand(zk, line.trim().split(/\s+/).filter((w) => w !== ''), io))) break;
    }
    rl.close();
    return 0;
  } finally {
    await zk.close();
  }
}
