/**
 * Choosing the metadata store from server.properties, and what a broker says when it cannot:
 * an unreachable ZooKeeper or etcd names the address and exits non-zero; a KRaft quorum with
 * several voters points to zookeeper.connect or etcd; a single combined KRaft node still starts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { BrokerConfig, storeKind } from '@samsa/broker';
import { freePort } from '@samsa/broker/testkit';
import { run, start, waitFor } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'samsa-store-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let lastPort = 0;
async function props(name: string, extra: string): Promise<string> {
  lastPort = await freePort();
  const p = join(dir, `${name}.properties`);
  writeFileSync(p, `broker.id=1\nlisteners=PLAINTEXT://127.0.0.1:${lastPort}\nlog.dirs=${join(dir, name)}\n${extra}\n`);
  return p;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

test('an unreachable ZooKeeper or etcd at start: the address in the error, exit code 1', async () => {
  const zkPort = await freePort();
  const etcdPort = await freePort();
  const [zk, etcd] = await Promise.all([
    run('kafka-server-start', [await props('zk-down', `zookeeper.connect=127.0.0.1:${zkPort}/kafka\nzookeeper.connection.timeout.ms=1500`)], { timeoutMs: 20000 }),
    run('kafka-server-start', [await props('etcd-down', `metadata.store=etcd://127.0.0.1:${etcdPort}\nzookeeper.connection.timeout.ms=1500`)], { timeoutMs: 20000 }),
  ]);
  assert.equal(zk.code, 1);
  assert.match(zk.stdout + zk.stderr, new RegExp(`Timed out waiting for connection to ZooKeeper at 127\\.0\\.0\\.1:${zkPort}/kafka`));
  assert.equal(etcd.code, 1);
  assert.match(etcd.stdout + etcd.stderr, new RegExp(`Timed out waiting for connection to etcd at http://127\\.0\\.0\\.1:${etcdPort}`));
});

test('KRaft keys: a multi-voter quorum is refused with a pointer; one combined node starts on the local store', async () => {
  const quorum = await run('kafka-server-start', [await props('quorum', 'process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093,2@localhost:9095,3@localhost:9097\ncontroller.listener.names=CONTROLLER')], { timeoutMs: 20000 });
  assert.equal(quorum.code, 1);
  assert.match(quorum.stdout + quorum.stderr, /controller quorum with several voters .* is not supported: Samsa keeps cluster metadata in ZooKeeper or etcd\. Set zookeeper\.connect=host:2181/);
  assert.throws(() => storeKind(new BrokerConfig({ 'process.roles': 'controller' })), /controller-only node/);
  assert.throws(() => storeKind(new BrokerConfig({ 'zookeeper.connect': 'a:2181', 'metadata.store': 'etcd://b:2379' })), /choose one/);
  assert.equal(storeKind(new BrokerConfig({ 'metadata.store': 'etcd://b:2379/x' })), 'etcd');

  const single = start('kafka-server-start', [await props('combined', 'process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@localhost:9093\ncontroller.listener.names=CONTROLLER\noffsets.topic.replication.factor=1')], { timeoutMs: 30000 });
  try {
    const port = lastPort;
    await waitFor(async () => single.child.exitCode !== null || (await accepts(port)), 'the combined node to start', 20000);
    assert.equal(single.child.exitCode, null, single.stderr());
  } finally {
    single.child.kill('SIGTERM');
    await single.done;
  }
});
