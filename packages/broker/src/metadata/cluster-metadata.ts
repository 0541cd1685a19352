/**
 * Each broker's view of the cluster: mirrors the store's keys through one watch, builds an
 * immutable MetadataImage (live brokers, controller, topics with their partition states and
 * configs) and publishes image + delta to listeners (partition registry, group coordinator,
 * replica layer). Changes are batched per tick, so a multi-key write is one delta.
 * Losing the store session fences the image (no leadership) until the broker has rejoined and
 * re-read the store.
 */
import { isInternalTopic } from './topic-name.js';
import { MetadataImage, type BrokerImage, type MetadataDelta, type PartitionImage, type PartitionStateChange, type TopicImage } from './image.js';
import { decodeBroker, decodeConfig, decodeController, decodePartitionState, decodeTopic, parseKey, Paths } from './kafka-layout.js';
import type { MetadataStore, StoreWatch, VersionedValue, WatchEvent } from './metadata-store.js';

export type MetadataListener = (image: MetadataImage, delta: MetadataDelta) => void;

export class ClusterMetadata {
  private current: MetadataImage;
  private readonly raw = new Map<string, VersionedValue>();
  private dirtyTopics = new Set<string>();
  private clusterDirty = false;
  private adminDirty = false;
  private brokerConfigsDirty = false;
  private flushScheduled = false;
  private listeners: MetadataListener[] = [];
  private waiters: Array<{ pred: (i: MetadataImage) => boolean; resolve: () => void }> = [];
  private watchHandle: StoreWatch | null = null;
  /** After stop(): a flush already scheduled publishes nothing (the broker's logs are closed by then). */
  private stopped = false;

  constructor(private readonly store: MetadataStore, clusterId: string) {
    this.current = new MetadataImage(clusterId, -1, [], new Map());
  }

  get image(): MetadataImage {
    return this.current;
  }

  /** The raw stored value of a key as last seen (the controller reads revisions through the store itself). */
  rawValue(key: string): VersionedValue | undefined {
    return this.raw.get(key);
  }

  async start(): Promise<void> {
    this.watchHandle = await this.store.watch('/', (e) => this.onEvent(e));
    for (const e of this.watchHandle.entries) this.record(e.key, e);
    this.flush();
  }

  stop(): void {
    this.stopped = true;
    this.watchHandle?.cancel();
    this.watchHandle = null;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }

  onChange(listener: MetadataListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Resolves when pred holds for the image, or after timeoutMs (then returns false). */
  waitFor(pred: (i: MetadataImage) => boolean, timeoutMs: number): Promise<boolean> {
    if (pred(this.current)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = {
        pred,
        resolve: () => {
          clearTimeout(timer);
          resolve(pred(this.current));
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Session lost: stop leading anything until rejoin() has re-read the store. */
  fence(): void {
    if (this.current.fenced) return;
    const c = this.current;
    this.current = new MetadataImage(c.clusterId, c.controllerId, c.brokers, c.topicsByName, true);
    this.publish({ createdTopics: [], deletedTopics: [], changedTopics: [], clusterChanged: true });
  }

  /** After the broker re-registered on a new session: re-read everything, then lift the fence. */
  async rejoin(): Promise<void> {
    const entries = await this.store.list('/');
    const seen = new Set(entries.map((e) => e.key));
    // A key the watch delivered after this listing was taken is newer than the listing: keep it.
    const listedUpTo = entries.reduce((m, e) => Math.max(m, e.revision), 0);
    for (const [key, v] of [...this.raw]) if (!seen.has(key) && v.revision <= listedUpTo) this.record(key, null);
    for (const e of entries) this.record(e.key, e);
    const c = this.current;
    this.current = new MetadataImage(c.clusterId, c.controllerId, c.brokers, c.topicsByName, false);
    this.clusterDirty = true;
    this.flush();
  }

  private onEvent(e: WatchEvent): void {
    this.record(e.key, e.type === 'put' ? { key: e.key, value: e.value, revision: e.revision } : null);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private record(key: string, v: VersionedValue | null): void {
    const prev = this.raw.get(key);
    if (v === null) {
      if (prev === undefined) return;
      this.raw.delete(key);
    } else {
      // Never go back: a listing can be older than what a watch event already brought.
      if (prev !== undefined && prev.revision >= v.revision) return;
      this.raw.set(key, v);
    }
    const k = parseKey(key);
    if (k.kind === 'broker' || k.kind === 'controller') this.clusterDirty = true;
    else if (k.kind === 'topic' || k.kind === 'partitionState' || k.kind === 'topicConfig') this.dirtyTopics.add(k.topic);
    // Queued deletions change no image but are the controller's work: publish an empty delta.
    else if (k.kind === 'deleteTopic' || k.kind === 'reassignPartitions') this.adminDirty = true;
    else if (k.kind === 'brokerConfig') this.brokerConfigsDirty = true;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    if (!this.clusterDirty && this.dirtyTopics.size === 0 && !this.adminDirty && !this.brokerConfigsDirty) return;
    this.adminDirty = false;
    const brokerConfigsChanged = this.brokerConfigsDirty;
    this.brokerConfigsDirty = false;
    const before = this.current;
    let brokers = before.brokers;
    let controllerId = before.controllerId;
    if (this.clusterDirty) {
      brokers = this.buildBrokers();
      const c = this.raw.get(Paths.controller);
      controllerId = c === undefined ? -1 : safe(() => decodeController(c.value), -1);
    }
    const live = new Set(brokers.map((b) => b.nodeId));
    const livenessChanged = this.clusterDirty && !sameIds(before.brokers, brokers);
    // Offline replicas depend on liveness: a broker change touches every topic.
    const toBuild = livenessChanged ? new Set([...before.topicsByName.keys(), ...this.dirtyTopics]) : this.dirtyTopics;
    const topics = new Map(before.topicsByName);
    const delta: MetadataDelta = { createdTopics: [], deletedTopics: [], changedTopics: [], changedPartitions: [], clusterChanged: this.clusterDirty, brokerConfigsChanged };
    for (const name of toBuild) {
      const old = before.topicsByName.get(name);
      const next = this.buildTopic(name, live);
      if (next === null) {
        if (old !== undefined) {
          topics.delete(name);
          delta.deletedTopics.push(old);
          for (const p of old.partitions) delta.changedPartitions!.push(partitionChange(old, p, true));
        }
        continue;
      }
      topics.set(name, next);
      if (old === undefined || old.id !== next.id) {
        if (old !== undefined) delta.deletedTopics.push(old);
        delta.createdTopics.push(next);
        for (const p of next.partitions) delta.changedPartitions!.push(partitionChange(next, p, false));
      } else if (!sameTopic(old, next)) {
        delta.changedTopics.push({ before: old, after: next });
        for (const p of next.partitions) {
          const o = old.partitions[p.partition];
          if (o === undefined || o.leader !== p.leader || o.leaderEpoch !== p.leaderEpoch || !sameList(o.isr, p.isr) || !sameList(o.replicas, p.replicas)) {
            delta.changedPartitions!.push(partitionChange(next, p, false));
          }
        }
      }
    }
    this.clusterDirty = false;
    this.dirtyTopics = new Set();
    this.current = new MetadataImage(before.clusterId, controllerId, brokers, topics, before.fenced);
    this.publish(delta);
  }

  private publish(delta: MetadataDelta): void {
    for (const l of [...this.listeners]) l(this.current, delta);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.pred(this.current)) w.resolve();
      else this.waiters.push(w);
    }
  }

  private buildBrokers(): BrokerImage[] {
    const out: BrokerImage[] = [];
    for (const [key, v] of this.raw) {
      const k = parseKey(key);
      if (k.kind !== 'broker' || !Number.isInteger(k.id)) continue;
      const b = safe(() => decodeBroker(k.id, v.value), null);
      if (b === null) continue;
      out.push({ nodeId: b.id, host: b.host, port: b.port, rack: b.rack, endpoints: b.endpoints.map((e) => ({ listener: e.listener, host: e.host, port: e.port })) });
    }
    return out.sort((a, b) => a.nodeId - b.nodeId);
  }

  private buildTopic(name: string, live: ReadonlySet<number>): TopicImage | null {
    const t = this.raw.get(Paths.topic(name));
    if (t === undefined) return null;
    const assignment = safe(() => decodeTopic(t.value), null);
    if (assignment === null) return null;
    const partitions: PartitionImage[] = assignment.partitions.map((replicas, i) => {
      const s = this.raw.get(Paths.partitionState(name, i));
      const state = s === undefined ? null : safe(() => decodePartitionState(s.value), null);
      return {
        partition: i,
        leader: state?.leader ?? -1,
        leaderEpoch: state?.leaderEpoch ?? -1,
        replicas,
        isr: state?.isr ?? [],
        offlineReplicas: replicas.filter((r) => !live.has(r)),
      };
    });
    const c = this.raw.get(Paths.topicConfig(name));
    const configs = c === undefined ? {} : safe(() => decodeConfig(c.value), {});
    return {
      name,
      id: assignment.id,
      isInternal: isInternalTopic(name),
      replicationFactor: assignment.partitions[0]?.length ?? 0,
      partitions,
      configs: new Map(Object.entries(configs)),
    };
  }
}

function partitionChange(t: TopicImage, p: PartitionImage, deleted: boolean): PartitionStateChange {
  return { topic: t.name, topicId: t.id, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, deleted };
}

function safe<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameIds(a: readonly BrokerImage[], b: readonly BrokerImage[]): boolean {
  return sameList(a.map((x) => x.nodeId), b.map((x) => x.nodeId));
}

function sameTopic(a: TopicImage, b: TopicImage): boolean {
  if (a.partitions.length !== b.partitions.length) return false;
  if (a.configs.size !== b.configs.size) return false;
  for (const [k, v] of a.configs) if (b.configs.get(k) !== v) return false;
  return a.partitions.every((p, i) => {
    const q = b.partitions[i]!;
    return p.leader === q.leader && p.leaderEpoch === q.leaderEpoch && sameList(p.replicas, q.replicas) && sameList(p.isr, q.isr) && sameList(p.offlineReplicas, q.offlineReplicas);
  });
}
