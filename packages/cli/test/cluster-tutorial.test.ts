/**
 * The tutorials' multi-broker walk, literally, with separate processes: ZooKeeper from
 * `zookeeper-server-start config/zookeeper.properties`, three `kafka-server-start` brokers from
 * the shipped config/server-1/2/3.properties (ports, log dirs and the ZooKeeper address swapped
 * for free ones), `zookeeper-shell ... ls /brokers/ids`, `kafka-topics --zookeeper` create and
 * describe, kill -9 of the controller (a new one within the session timeout, measured) and of
 * the partition leader (leadership moves to an ISR member; describe shows it).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ZkClient } from '@samsa/broker';
import { freePort, serverLogDir } from '@samsa/broker/testkit';
import { binArgs, pkgRoot, run, waitFor } from './support.js';

const SESSION_TIMEOUT_MS = 6000;
const TICK_MS = 1000;
const repoRoot = join(pkgRoot, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'samsa-zk-walk-'));
const children: ChildProcess[] = [];

/** Each tool in its own process group, so a kill reaches what it started (zookeeper-server-start runs java). */
function launch(bin: string, args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [...binArgs(bin), ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, NODE_TEST_CONTEXT: undefined, SAMSA_LOG: 'INFO', LOG_DIR: serverLogDir() } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  children.push(child);
  return { child, output: () => out };
}

after(async () => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** The Partition lines of `kafka-topics --describe`, parsed. */
function partitionLines(out: string): Array<{ leader: number; replicas: number[]; isr: number[] }> {
  return [...out.matchAll(/Partition: \d+\tLeader: (\S+)\tReplicas: ([\d,]+)\tIsr: ([\d,]*)/g)].map((m) => ({
    leader: m[1] === 'none' ? -1 : Number(m[1]),
    replicas: m[2]!.split(',').map(Number),
    isr: m[3] === '' ? [] : m[3]!.split(',').map(Number),
  }));
}

test('ZooKeeper, three brokers, kafka-topics --zookeeper, kill -9 of the controller and of the leader', async () => {
  // zookeeper-server-start with the shipped config, on a free port and a temp data dir.
  const zkPort = await freePort();
  const zkProps = readFileSync(join(repoRoot, 'config', 'zookeeper.properties'), 'utf8')
    .replace(/^dataDir=.*$/m, `dataDir=${join(dir, 'zookeeper')}`)
    .replace(/^clientPort=.*$/m, `clientPort=${zkPort}`)
    // ZooKeeper expires sessions on tick boundaries: a 1 s tick keeps expiry close to the timeout.
    + `tickTime=${TICK_MS}\n`;
  writeFileSync(join(dir, 'zookeeper.properties'), zkProps);
  const zk = launch('zookeeper-server-start', [join(dir, 'zookeeper.properties')]);
  const zkConnect = `127.0.0.1:${zkPort}`;
  const probe = await ZkClient.connect({ connectString: zkConnect, sessionTimeoutMs: 10000, connectionTimeoutMs: 30000 }).catch((e: Error) => {
    throw new Error(`${e.message}\n${zk.output()}`);
  });

  // Three brokers from config/server-{1,2,3}.properties.
  const brokers = new Map<number, { child: ChildProcess; output: () => string; port: number }>();
  for (const id of [1, 2, 3]) {
    const port = await freePort();
    const props = readFileSync(join(repoRoot, 'config', `server-${id}.properties`), 'utf8')
      .replace(/^listeners=.*$/m, `listeners=PLAINTEXT://127.0.0.1:${port}`)
      .replace(/^advertised.listeners=.*$/m, `advertised.listeners=PLAINTEXT://localhost:${port}`)
      .replace(/^log.dirs=.*$/m, `log.dirs=${join(dir, `kafka-logs-${id}`)}`)
      .replace(/^zookeeper.connect=.*$/m, `zookeeper.connect=${zkConnect}\nzookeeper.session.timeout.ms=${SESSION_TIMEOUT_MS}`);
    assert.match(props, new RegExp(`^broker.id=${id}$`, 'm'));
    writeFileSync(join(dir, `server-${id}.properties`), props);
    brokers.set(id, { ...launch('kafka-server-start', [join(dir, `server-${id}.properties`)]), port });
  }
  for (const [id, b] of brokers) await waitFor(() => b.output().includes('started (cluster'), `broker ${id} to start:\n${b.output()}`, 30000);

  const shell = await run('zookeeper-shell', [zkConnect, 'ls', '/brokers/ids']);
  assert.equal(shell.code, 0, shell.stderr);
  assert.match(shell.stdout, /^\[1, 2, 3\]$/m);

  const topic = 'my-replicated-topic';
  const created = await run('kafka-topics', ['--zookeeper', zkConnect, '--create', '--replication-factor', '3', '--partitions', '1', '--topic', topic]);
  assert.equal(created.code, 0, created.stdout + created.stderr);
  assert.equal(created.stdout, `Created topic ${topic}.\n`);
  const list = await run('kafka-topics', ['--zookeeper', zkConnect, '--list']);
  assert.match(list.stdout, new RegExp(`^${topic}$`, 'm'));
  const described = await run('kafka-topics', ['--zookeeper', zkConnect, '--describe', '--topic', topic]);
  assert.match(described.stdout, new RegExp(`^Topic: ${topic}\\tTopicId: \\S+\\tPartitionCount: 1\\tReplicationFactor: 3\\tConfigs: $`, 'm'));
  const [p0] = partitionLines(described.stdout);
  assert.ok(p0 !== undefined, described.stdout);
  assert.deepEqual([...p0.replicas].sort(), [1, 2, 3]);
  assert.deepEqual([...p0.isr].sort(), [1, 2, 3]);
  assert.equal(p0.leader, p0.replicas[0]);
  // --bootstrap-server sees the same.
  const viaBroker = await run('kafka-topics', ['--bootstrap-server', `localhost:${brokers.get(2)!.port}`, '--describe', '--topic', topic]);
  assert.deepEqual(partitionLines(viaBroker.stdout), [p0]);

  // kill -9 the controller: another broker takes over once its session expires.
  const controllerOf = async (): Promise<number> => {
    const c = await probe.getData('/controller');
    return c === null || c.data === null ? -1 : (JSON.parse(c.data.toString()) as { brokerid: number }).brokerid;
  };
  const oldController = await controllerOf();
  assert.ok(brokers.has(oldController));
  const killedAt = Date.now();
  brokers.get(oldController)!.child.kill('SIGKILL');
  await waitFor(async () => ![-1, oldController].includes(await controllerOf()), 'a new controller', SESSION_TIMEOUT_MS + 15000);
  const failoverMs = Date.now() - killedAt;
  const newController = await controllerOf();
  console.log(`# kill -9 of controller ${oldController}: broker ${newController} is controller after ${failoverMs} ms (zookeeper.session.timeout.ms=${SESSION_TIMEOUT_MS})`);
  // The server notices the dead session at the first tick after the timeout; then one election round trip.
  assert.ok(failoverMs <= SESSION_TIMEOUT_MS + TICK_MS + 2000, `failover took ${failoverMs} ms`);
  brokers.delete(oldController);

  // The leader goes too (if it was not the controller): leadership moves to an ISR member.
  const killed = [oldController];
  if (p0.leader !== oldController) {
    brokers.get(p0.leader)!.child.kill('SIGKILL');
    brokers.delete(p0.leader);
    killed.push(p0.leader);
  }
  let after: ReturnType<typeof partitionLines>[number] | undefined;
  await waitFor(async () => {
    const d = await run('kafka-topics', ['--zookeeper', zkConnect, '--describe', '--topic', topic]);
    after = partitionLines(d.stdout)[0];
    return after !== undefined && !killed.includes(after.leader) && after.leader >= 0 && after.isr.every((r) => !killed.includes(r));
  }, 'leadership to move off the killed brokers', SESSION_TIMEOUT_MS + 15000);
  assert.ok(p0.isr.includes(after!.leader), `new leader ${after!.leader} came from the ISR`);
  assert.deepEqual(after!.replicas, p0.replicas);
  console.log(`# after kill -9 of ${killed.join(' and ')}: Leader: ${after!.leader}\tReplicas: ${after!.replicas.join(',')}\tIsr: ${after!.isr.join(',')}`);

  await probe.close();
  for (const b of brokers.values()) b.child.kill('SIGTERM');
  await Promise.all([...brokers.values()].map((b) => new Promise((r) => (b.child.exitCode !== null ? r(null) : b.child.once('exit', r)))));
  const zkExited = new Promise((r) => (zk.child.exitCode !== null ? r(null) : zk.child.once('exit', r)));
  zk.child.kill('SIGTERM');
  await zkExited;
});
