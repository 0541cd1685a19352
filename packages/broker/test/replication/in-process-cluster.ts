/**
 * Several brokers in one process, each with its own session on one shared in-memory metadata
 * store: they register (ephemeral keys), one of them is the controller, and leadership moves
 * the way it does between processes. Stopping a broker ends its session, as a crash would
 * (minus torn writes); `shutdown` is SIGTERM's controlled shutdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker.js';
import { LocalMetadataBackend, LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { decodePartitionState, Paths } from '../../src/metadata/kafka-layout.js';

export interface InProcessCluster {
  brokers: Map<number, Broker>;
  /** A session of its own on the shared store (for reading states in tests). */
  store: LocalMetadataStore;
  broker(id: number): Broker;
  /** Starts (or restarts, on its data dir) broker `id`. */
  start(id: number): Promise<Broker>;
  /** Stops broker `id` without a controlled shutdown (as a crash would, minus the torn writes). */
  stop(id: number): Promise<void>;
  /** Stops broker `id` the way SIGTERM does: leadership moves away first. */
  shutdown(id: number): Promise<void>;
  /** The stored partition state (leader, leader epoch, ISR). */
  partitionState(topic: string, partition: number): Promise<{ leader: number; leaderEpoch: number; isr: number[] }>;
  close(): Promise<void>;
}

export async function startInProcessCluster(ids: number[], config: Record<string, string> = {}, storage: 'memory' | 'file' = 'file'): Promise<InProcessCluster> {
  const backend = new LocalMetadataBackend(null);
  const store = new LocalMetadataStore(backend);
  const dirs = new Map<number, string>();
  const ports = new Map<number, number>();
  const brokers = new Map<number, Broker>();
  const cluster: InProcessCluster = {
    brokers,
    store,
    broker: (id) => brokers.get(id)!,
    async start(id) {
      if (!dirs.has(id)) dirs.set(id, mkdtempSync(join(tmpdir(), `samsa-repl-${id}-`)));
      const port = ports.get(id) ?? 0;
      const b = new Broker({
        storage,
        metadataStore: new LocalMetadataStore(backend),
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
      return b;
    },
    async stop(id) {
      const b = brokers.get(id);
      brokers.delete(id);
      await b?.stop({ controlledShutdown: false });
    },
    async shutdown(id) {
      const b = brokers.get(id);
      await b?.stop({ controlledShutdown: true });
      brokers.delete(id);
    },
    async partitionState(topic, partition) {
      const v = await store.get(Paths.partitionState(topic, partition));
      if (v === null) throw new Error(`no state for ${topic}-${partition}`);
      return decodePartitionState(v.value);
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
