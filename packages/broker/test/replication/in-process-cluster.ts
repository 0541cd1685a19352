/**
 * Several brokers in one process over one shared metadata store, for replication tests that
 * drive leadership by hand (the controller is not part of these tests): `elect` writes a new
 * leader and leader epoch the way a controller does, and every broker applies the delta.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker.js';
import { LocalMetadataStore, type MetadataStore } from '../../src/metadata/metadata-store.js';

/** The brokers share the store; stopping one must not close it for the others. */
function sharedView(store: MetadataStore): MetadataStore {
  return {
    get: (k) => store.get(k),
    put: (k, v, o) => store.put(k, v, o),
    delete: (k, o) => store.delete(k, o),
    list: (p) => store.list(p),
    watch: (p, l) => store.watch(p, l),
    close: async () => {},
  };
}

export interface InProcessCluster {
  brokers: Map<number, Broker>;
  store: MetadataStore;
  broker(id: number): Broker;
  /** Starts (or restarts, on its data dir) broker `id`. */
  start(id: number): Promise<Broker>;
  /** Stops broker `id` without a controlled shutdown (as a crash would, minus the torn writes). */
  stop(id: number): Promise<void>;
  /** Stops broker `id` the way SIGTERM does: leadership moves away first. */
  shutdown(id: number): Promise<void>;
  /** Controller stand-in: makes `leader` the leader with a new leader epoch and the given ISR. */
  elect(topic: string, partition: number, leader: number, isr?: number[]): Promise<void>;
  close(): Promise<void>;
}

export async function startInProcessCluster(ids: number[], config: Record<string, string> = {}, storage: 'memory' | 'file' = 'file'): Promise<InProcessCluster> {
  const store = new LocalMetadataStore(null);
  const dirs = new Map<number, string>();
  const ports = new Map<number, number>();
  const brokers = new Map<number, Broker>();
  // Live brokers only, as broker registrations would say (a stopped broker's goes away).
  const endpoints = () => ids.filter((id) => brokers.has(id)).map((id) => ({ nodeId: id, host: '127.0.0.1', port: ports.get(id)!, rack: null }));
  const publishBrokers = () => {
    for (const b of brokers.values()) b.topics.setBrokers(endpoints());
  };
  const cluster: InProcessCluster = {
    brokers,
    store,
    broker: (id) => brokers.get(id)!,
    async start(id) {
      if (!dirs.has(id)) dirs.set(id, mkdtempSync(join(tmpdir(), `samsa-repl-${id}-`)));
      const port = ports.get(id) ?? 0;
      const b = new Broker({
        storage,
        metadataStore: sharedView(store),
        clusterId: 'replication-test-cluster',
        shutdownGraceMs: 100,
        config: {
          'node.id': String(id),
          listeners: `PLAINTEXT://127.0.0.1:${port}`,
          'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
          'log.dirs': dirs.get(id)!,
          'group.initial.rebalance.delay.ms': '0',
          'offsets.topic.replication.factor': '1',
          'replica.fetch.wait.max.ms': '200',
          'replica.fetch.backoff.ms': '50',
          ...config,
        },
      });
      await b.start();
      ports.set(id, b.boundListeners[0]!.port);
      brokers.set(id, b);
      publishBrokers();
      return b;
    },
    async stop(id) {
      const b = brokers.get(id);
      brokers.delete(id);
      publishBrokers();
      await b?.stop({ controlledShutdown: false });
    },
    async shutdown(id) {
      const b = brokers.get(id);
      await b?.stop({ controlledShutdown: true });
      brokers.delete(id);
      publishBrokers();
    },
    async elect(topic, partition, leader, isr) {
      const key = `topics/${topic}`;
      const cur = (await store.get(key))!;
      const rec = JSON.parse(cur.value) as { partitions: Array<{ replicas: number[]; leaderEpoch: number; isr?: number[]; leader?: number }> };
      const p = rec.partitions[partition]!;
      p.leader = leader;
      p.leaderEpoch += 1;
      p.isr = isr ?? p.isr ?? p.replicas;
      await store.put(key, JSON.stringify(rec), { expectedRevision: cur.revision });
    },
    async close() {
      for (const id of [...brokers.keys()]) await cluster.stop(id);
      for (const d of dirs.values()) rmSync(d, { recursive: true, force: true });
    },
  };
  for (const id of ids) await cluster.start(id);
  return cluster;
}

/** Resolves when `cond` holds, checking after every turn of the event loop (bounded). */
export async function until(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
