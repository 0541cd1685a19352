/**
 * One conformance suite, every metadata store engine: local (memory backend shared by sessions),
 * real ZooKeeper and real etcd (started once for this file on free ports; each test works in its
 * own chroot / key prefix).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LocalMetadataBackend, LocalMetadataStore, RevisionMismatchError, type MetadataStore, type SessionState, type WatchEvent } from '../../src/metadata/metadata-store.js';
import { EtcdMetadataStore } from '../../src/metadata/etcd/etcd-store.js';
import { ZooKeeperMetadataStore } from '../../src/metadata/zookeeper/zookeeper-store.js';
import { startEtcd, startZooKeeper, type CoordinationService } from '../../src/testkit/coordination-services.js';

interface Engine {
  name: string;
  /** A fresh namespace; open() gives independent sessions on it. */
  namespace(): { open(): Promise<MetadataStore> };
}

let zk: CoordinationService;
let etcd: CoordinationService;
let seq = 0;

const engines: Engine[] = [
  {
    name: 'local',
    namespace() {
      const backend = new LocalMetadataBackend(null);
      return { open: async () => new LocalMetadataStore(backend) };
    },
  },
  {
    name: 'zookeeper',
    namespace() {
      const connect = `${zk.connect}/conformance${++seq}`;
      return { open: () => ZooKeeperMetadataStore.connect({ connect, sessionTimeoutMs: 4000, connectionTimeoutMs: 10000 }) };
    },
  },
  {
    name: 'etcd',
    namespace() {
      const url = `${etcd.connect}/conformance${++seq}`;
      return { open: () => EtcdMetadataStore.connect({ url, sessionTimeoutMs: 4000, connectionTimeoutMs: 10000 }) };
    },
  },
];

before(async () => {
  [zk, etcd] = await Promise.all([startZooKeeper(), startEtcd()]);
});
after(async () => {
  await Promise.all([zk?.stop(), etcd?.stop()]);
});

/** Resolves when pred holds for the collected events (or fails after 15 s). */
async function until(what: string, pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 15000;
  while (!pred()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function untilAsync(what: string, pred: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15000;
  while (!(await pred())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const engine of engines) {
  describe(`metadata store conformance: ${engine.name}`, () => {
    test('get/put/list/delete with increasing revisions', async () => {
      const s = await engine.namespace().open();
      try {
        assert.equal(await s.get('/a/x'), null);
        const r1 = await s.put('/a/x', 'one');
        const r2 = await s.put('/a/y', 'two');
        assert.ok(r2 > r1);
        assert.deepEqual(await s.get('/a/x'), { key: '/a/x', value: 'one', revision: r1 });
        const r3 = await s.put('/a/x', 'uno');
        assert.ok(r3 > r2);
        await s.put('/b/z', 'other');
        assert.deepEqual((await s.list('/a')).map((e) => [e.key, e.value]), [['/a/x', 'uno'], ['/a/y', 'two']]);
        assert.equal(await s.delete('/a/x'), true);
        assert.equal(await s.delete('/a/x'), false);
        assert.deepEqual((await s.list('/a')).map((e) => e.key), ['/a/y']);
      } finally {
        await s.close();
      }
    });

    test('compare-and-swap on the revision', async () => {
      const s = await engine.namespace().open();
      try {
        const r1 = await s.put('/cas', 'v1', { expectedRevision: 0 });
        await assert.rejects(s.put('/cas', 'again', { expectedRevision: 0 }), RevisionMismatchError);
        const r2 = await s.put('/cas', 'v2', { expectedRevision: r1 });
        await assert.rejects(s.put('/cas', 'stale', { expectedRevision: r1 }), RevisionMismatchError);
        await assert.rejects(s.delete('/cas', { expectedRevision: r1 }), RevisionMismatchError);
        assert.equal((await s.get('/cas'))!.value, 'v2');
        assert.equal(await s.delete('/cas', { expectedRevision: r2 }), true);
      } finally {
        await s.close();
      }
    });

    test('concurrent CAS increments from two sessions: none lost, none applied twice', async () => {
      const ns = engine.namespace();
      const [a, b] = await Promise.all([ns.open(), ns.open()]);
      try {
        await a.put('/counter', '0');
        const inc = async (s: MetadataStore): Promise<void> => {
          for (;;) {
            const cur = (await s.get('/counter'))!;
            try {
              await s.put('/counter', String(Number(cur.value) + 1), { expectedRevision: cur.revision });
              return;
            } catch (e) {
              if (!(e instanceof RevisionMismatchError)) throw e;
            }
          }
        };
        await Promise.all([...Array.from({ length: 8 }, () => inc(a)), ...Array.from({ length: 8 }, () => inc(b))]);
        assert.equal((await b.get('/counter'))!.value, '16');
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('multi-key transactions are all or nothing; recursive delete', async () => {
      const s = await engine.namespace().open();
      try {
        const epoch = await s.put('/epoch', '1');
        await s.put('/t/p0', 'a');
        await s.put('/t/p1', 'b');
        await s.txn([{ op: 'check', key: '/epoch', revision: epoch }, { op: 'put', key: '/t/p0', value: 'A' }, { op: 'delete', key: '/t/p1' }, { op: 'put', key: '/t/p2', value: 'C' }]);
        assert.deepEqual((await s.list('/t')).map((e) => [e.key, e.value]), [['/t/p0', 'A'], ['/t/p2', 'C']]);
        await s.put('/epoch', '2');
        await assert.rejects(s.txn([{ op: 'check', key: '/epoch', revision: epoch }, { op: 'put', key: '/t/p0', value: 'fenced' }]), RevisionMismatchError);
        assert.equal((await s.get('/t/p0'))!.value, 'A');
        await s.put('/t/p0/deeper/x', 'x');
        await s.delete('/t', { recursive: true });
        assert.deepEqual(await s.list('/t'), []);
        assert.equal((await s.get('/epoch'))!.value, '2');
      } finally {
        await s.close();
      }
    });

    test('watch starts from a snapshot and misses no later change, in order', async () => {
      const ns = engine.namespace();
      const [writer, watcher] = await Promise.all([ns.open(), ns.open()]);
      try {
        await writer.put('/w/before', '0');
        // Writes race with the watch's start: whatever the snapshot lacks must arrive as events.
        const racing = Promise.all(Array.from({ length: 10 }, (_, i) => writer.put(`/w/k${i}`, `v${i}`)));
        const state = new Map<string, string>();
        const events: WatchEvent[] = [];
        const w = await watcher.watch('/w', (e) => {
          events.push(e);
          if (e.type === 'put') state.set(e.key, e.value);
          else state.delete(e.key);
        });
        for (const e of w.entries) if (!state.has(e.key)) state.set(e.key, e.value);
        await racing;
        await writer.put('/w/k3', 'changed');
        await writer.delete('/w/before');
        await writer.put('/elsewhere', 'ignored');
        await until('converged state', () => state.get('/w/k3') === 'changed' && !state.has('/w/before') && state.size === 10);
        const finalList = await watcher.list('/w');
        assert.deepEqual([...state.entries()].sort(), finalList.map((e) => [e.key, e.value]));
        assert.ok(!events.some((e) => e.key === '/elsewhere'));
        const k3 = events.filter((e) => e.key === '/w/k3' && e.type === 'put').map((e) => (e as { value: string }).value);
        assert.equal(k3.at(-1), 'changed');
        w.cancel();
        await writer.put('/w/after-cancel', 'x');
        await new Promise((r) => setTimeout(r, 200));
        assert.ok(!events.some((e) => e.key === '/w/after-cancel'));
      } finally {
        await Promise.all([writer.close(), watcher.close()]);
      }
    });

    test('ephemeral keys die with their session; a watcher sees them go', async () => {
      const ns = engine.namespace();
      const [owner, watcher] = await Promise.all([ns.open(), ns.open()]);
      try {
        await owner.put('/ids/1', '{"host":"a"}', { ephemeral: true });
        await owner.put('/ids/persistent', 'stays');
        const deleted: string[] = [];
        await watcher.watch('/ids', (e) => {
          if (e.type === 'delete') deleted.push(e.key);
        });
        assert.equal((await watcher.get('/ids/1'))!.value, '{"host":"a"}');
        await owner.close();
        await until('ephemeral delete event', () => deleted.includes('/ids/1'));
        assert.equal(await watcher.get('/ids/1'), null);
        assert.equal((await watcher.get('/ids/persistent'))!.value, 'stays');
      } finally {
        await Promise.all([owner.close(), watcher.close()]);
      }
    });

    test('session expiry: lost, then restored; ephemerals gone and can be registered again', async () => {
      const ns = engine.namespace();
      const [owner, watcher] = await Promise.all([ns.open(), ns.open()]);
      try {
        const states: SessionState[] = [];
        owner.onSession((s) => states.push(s));
        await owner.put('/ids/7', 'me', { ephemeral: true });
        await owner.expireSession();
        await until('session lost and restored', () => states.includes('lost') && states.includes('restored'));
        await untilAsync('ephemeral removed', async () => (await watcher.get('/ids/7')) === null);
        await owner.put('/ids/7', 'me again', { ephemeral: true });
        assert.equal((await watcher.get('/ids/7'))!.value, 'me again');
        await owner.close();
        await untilAsync('re-registered ephemeral removed on close', async () => (await watcher.get('/ids/7')) === null);
      } finally {
        await Promise.all([owner.close(), watcher.close()]);
      }
    });
  });
}
