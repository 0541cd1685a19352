/**
 * The client's view of the cluster: bootstrap servers, one Connection per broker, and a
 * metadata cache (topics, partitions, leaders) refreshed on demand, on leadership errors and
 * every metadata.max.age.ms.
 */
import { apiByName, type ApiDescriptor, KafkaError, type MetadataResponse } from '@samsa/protocol';
import { Connection, type ConnectionOptions, type RequestOptions } from '@samsa/network';
import { defaultConnectionOptions } from './versions.js';
import { type KafkaProperties, resolveOptions } from './config.js';
import { ClientError, ClientErrorCode, ClosedError, ConnectionError, isRetriable } from './errors.js';

export interface ClusterOptions extends Partial<ConnectionOptions>, KafkaProperties {
  /** bootstrap.servers: "host:port" strings, or one comma-separated string (required, by either name). */
  bootstrapServers?: string[] | string;
  /** metadata.max.age.ms (Kafka default 300000). */
  metadataMaxAgeMs?: number;
  /** retry.backoff.ms (Kafka default 100). */
  retryBackoffMs?: number;
  /** allow.auto.create.topics: ask the broker to create topics named in Metadata requests. */
  allowAutoTopicCreation?: boolean;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string | undefined;
  isInternal: boolean;
  errorCode: number;
  partitions: PartitionInfo[];
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** Errors after which the metadata for a partition must be refreshed before retrying. */
export const METADATA_REFRESH_CODES: ReadonlySet<number> = new Set([3, 5, 6, 74, 75, 100, 103]);

const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** How long a topic may stay UNKNOWN_TOPIC_OR_PARTITION before send()/subscribe() give up on it. */
export const UNKNOWN_TOPIC_GRACE_MS = 2000;

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s.trim());
  if (m === null) throw new ClientError(ClientErrorCode.CONFIG, `invalid broker address "${s}" (want host:port)`);
  return { host: m[1]!, port: Number(m[2]) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  readonly connectionOptions: ConnectionOptions;
  readonly retryBackoffMs: number;
  readonly metadataMaxAgeMs: number;
  private readonly bootstrap: Connection[];
  private readonly brokers = new Map<number, Connection>();
  private brokerInfo = new Map<number, BrokerInfo>();
  private readonly topics = new Map<string, TopicInfo>();
  /** Topics whose metadata this client keeps (the union over producer/consumer use). */
  private readonly interest = new Set<string>();
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private lastRefreshAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  clusterId: string | null = null;
  controllerId = -1;
  allowAutoTopicCreation: boolean;

  constructor(options: ClusterOptions) {
    const opts = resolveOptions(options);
    this.connectionOptions = {
      ...defaultConnectionOptions,
      ...Object.fromEntries(Object.entries(opts).filter(([k, v]) => k in defaultConnectionOptions && v !== undefined)),
    } as ConnectionOptions;
    this.retryBackoffMs = opts.retryBackoffMs ?? 100;
    this.metadataMaxAgeMs = opts.metadataMaxAgeMs ?? 300000;
    this.allowAutoTopicCreation = opts.allowAutoTopicCreation ?? true;
    if (opts.bootstrapServers === undefined) throw new ClientError(ClientErrorCode.CONFIG, 'bootstrap.servers (bootstrapServers) is required');
    const list = (typeof opts.bootstrapServers === 'string' ? opts.bootstrapServers.split(',') : opts.bootstrapServers).filter((s) => s.trim() !== '');
    if (list.length === 0) throw new ClientError(ClientErrorCode.CONFIG, 'bootstrap.servers is empty');
    this.bootstrap = list.map((s, i) => {
      const { host, port } = parseHostPort(s);
      return new Connection(host, port, -1 - i, this.connectionOptions);
    });
  }

  private readyP: Promise<void> | null = null;

  /** connect() once: later calls share the first success; a failure is retried by the next call. */
  ready(): Promise<void> {
    if (this.readyP === null) {
      this.readyP = this.connect();
      this.readyP.catch(() => {
        this.readyP = null;
      });
    }
    return this.readyP;
  }

  /** Starts the periodic metadata refresh and fetches metadata once. */
  async connect(): Promise<void> {
    await this.refreshMetadata();
    if (this.timer === null) {
      this.timer = setInterval(() => {
        if (Date.now() - this.lastRefreshAt >= this.metadataMaxAgeMs) this.refreshMetadata().catch(() => {});
      }, Math.min(this.metadataMaxAgeMs, 60000));
      this.timer.unref();
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const c of this.bootstrap) c.close();
    for (const c of this.brokers.values()) c.close();
  }

  /** Any usable connection: a connected known broker first, else try each in turn. */
  async anyConnection(): Promise<Connection> {
    if (this.closed) throw new ClosedError('client');
    for (const c of this.brokers.values()) if (c.connected) return c;
    for (const c of this.bootstrap) if (c.connected) return c;
    const candidates = [...this.brokers.values(), ...this.bootstrap];
    let last: unknown;
    for (const c of candidates) {
      try {
        await c.connect();
        return c;
      } catch (err) {
        last = err;
      }
    }
    // A broker that refused our credentials is reachable: say why (SASL_AUTHENTICATION_FAILED ...).
    if (last instanceof KafkaError) throw last;
    throw new ConnectionError(`no broker reachable (${candidates.map((c) => c.address).join(', ')})`, { cause: last });
  }

  /** The connection to a broker by node id (created on first use, connected by send). */
  broker(nodeId: number): Connection {
    if (this.closed) throw new ClosedError('client');
    let c = this.brokers.get(nodeId);
    if (c !== undefined) return c;
    const info = this.brokerInfo.get(nodeId);
    if (info === undefined) throw new KafkaError(8, `broker ${nodeId} not in metadata`); // BROKER_NOT_AVAILABLE
    c = new Connection(info.host, info.port, nodeId, this.connectionOptions);
    this.brokers.set(nodeId, c);
    return c;
  }

  /** A connection to a node named by an API response (coordinators), reusing the broker's. */
  connectionTo(nodeId: number, host: string, port: number): Connection {
    if (this.closed) throw new ClosedError('client');
    const existing = this.brokers.get(nodeId);
    if (existing !== undefined && existing.host === host && existing.port === port) return existing;
    if (existing !== undefined) existing.close(`moved to ${host}:${port}`); // its requests fail retriably
    const c = new Connection(host, port, nodeId, this.connectionOptions);
    this.brokers.set(nodeId, c);
    return c;
  }

  brokerList(): BrokerInfo[] {
    return [...this.brokerInfo.values()];
  }

  /** Sends to any broker. */
  async sendAny<Req, Res>(api: ApiDescriptor<Req, Res>, build: (v: number) => Req, opts?: RequestOptions): Promise<{ version: number; response: Res }> {
    const c = await this.anyConnection();
    return c.send(api, build, opts);
  }

  /** Whether a connected broker serves the API (connects to one first). */
  async supports(api: ApiDescriptor): Promise<boolean> {
    const c = await this.anyConnection();
    return c.supports(api.apiKey);
  }

  /** Adds topics to the set this client keeps metadata for. */
  track(topics: Iterable<string>): void {
    for (const t of topics) this.interest.add(t);
  }

  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  allTopics(): TopicInfo[] {
    return [...this.topics.values()];
  }

  /** Refreshes metadata for the tracked topics (coalescing concurrent calls). */
  refreshMetadata(): Promise<void> {
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.refreshAgain = false;
          await this.fetchMetadata([...this.interest]);
        } while (this.refreshAgain);
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /**
   * One Metadata request. `topics` null = all topics. Updates the cache for the topics in the
   * response and the broker list.
   */
  async fetchMetadata(topics: string[] | null, allowAutoCreate = this.allowAutoTopicCreation): Promise<MetadataResponse> {
    const { version, response } = await this.sendAny(apiByName.Metadata, (v) => ({
      topics: topics === null ? (v >= 1 ? null : []) : topics.map((name) => ({ name })),
      ...(v >= 4 ? { allowAutoTopicCreation: allowAutoCreate } : {}),
    }));
    void version;
    this.lastRefreshAt = Date.now();
    this.clusterId = response.clusterId ?? null;
    this.controllerId = response.controllerId ?? -1;
    const brokers = new Map<number, BrokerInfo>();
    for (const b of response.brokers) brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null });
    this.brokerInfo = brokers;
    for (const [id, c] of this.brokers) {
      const info = brokers.get(id);
      if (info === undefined || info.host !== c.host || info.port !== c.port) {
        // Requests in flight, or sent later through a stale handle, fail retriably: callers retry elsewhere.
        c.close(info === undefined ? 'left the cluster metadata' : `moved to ${info.host}:${info.port}`);
        this.brokers.delete(id);
      }
    }
    for (const t of response.topics) {
      if (t.name === null) continue;
      if (t.errorCode !== 0 && t.partitions.length === 0) {
        this.topics.delete(t.name);
        continue;
      }
      this.topics.set(t.name, {
        name: t.name,
        topicId: t.topicId,
        isInternal: t.isInternal ?? false,
        errorCode: t.errorCode,
        partitions: t.partitions
          .map((p) => ({
            partition: p.partitionIndex,
            leader: p.leaderId,
            leaderEpoch: p.leaderEpoch ?? -1,
            replicas: p.replicaNodes,
            isr: p.isrNodes,
            errorCode: p.errorCode,
          }))
          .sort((a, b) => a.partition - b.partition),
      });
    }
    return response;
  }

  /**
   * Metadata for topics, waiting (refreshing with backoff) until each has partitions with
   * leaders, or the deadline passes.
   */
  async waitForTopics(names: string[], timeoutMs: number): Promise<TopicInfo[]> {
    this.track(names);
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    /** When each topic was first reported UNKNOWN_TOPIC_OR_PARTITION. */
    const unknownSince = new Map<string, number>();
    for (;;) {
      const missing = names.filter((n) => {
        const t = this.topics.get(n);
        return t === undefined || t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0);
      });
      if (missing.length === 0) return names.map((n) => this.topics.get(n)!);
      const allowAuto = this.allowAutoTopicCreation;
      let gaveUp: KafkaError | null = null;
      try {
        const res = await this.fetchMetadata([...this.interest]);
        for (const t of res.topics) {
          // Non-retriable topic errors (INVALID_TOPIC_EXCEPTION, TOPIC_AUTHORIZATION_FAILED) end the wait.
          if (t.name !== null && missing.includes(t.name) && t.errorCode !== 0 && !KafkaError.from(t.errorCode).retriable) {
            throw KafkaError.from(t.errorCode, `topic ${t.name}`);
          }
          // A topic that stays unknown (auto-creation off) fails fast rather than after max.block.ms;
          // the grace covers a topic just created elsewhere that this broker has not seen yet.
          if (t.name !== null && missing.includes(t.name) && t.errorCode === UNKNOWN_TOPIC_OR_PARTITION) {
            const since = unknownSince.get(t.name) ?? Date.now();
            unknownSince.set(t.name, since);
            if (Date.now() - since >= Math.min(UNKNOWN_TOPIC_GRACE_MS, timeoutMs)) {
              gaveUp = new KafkaError(UNKNOWN_TOPIC_OR_PARTITION, `topic "${t.name}" does not exist${allowAuto ? ' and the broker did not create it (auto.create.topics.enable=false?)' : ' (allow.auto.create.topics=false)'}`);
            }
          }
        }
      } catch (err) {
        if (!isRetriable(err)) throw err;
        lastError = err;
      }
      if (gaveUp !== null) throw gaveUp;
      const stillMissing = names.filter((n) => {
        const t = this.topics.get(n);
        return t === undefined || t.partitions.length === 0 || t.partitions.some((p) => p.leader < 0);
      });
      if (stillMissing.length === 0) continue;
      if (Date.now() >= deadline) {
        throw new ClientError(ClientErrorCode.METADATA_TIMEOUT, `no metadata for ${stillMissing.join(', ')} after ${timeoutMs} ms`, true, { cause: lastError });
      }
      await sleep(this.retryBackoffMs);
    }
  }

  /** The leader's node id for a partition, or -1. */
  leaderOf(topic: string, partition: number): number {
    const t = this.topics.get(topic);
    const p = t?.partitions[partition];
    return p !== undefined && p.partition === partition ? p.leader : t?.partitions.find((x) => x.partition === partition)?.leader ?? -1;
  }

  leaderEpochOf(topic: string, partition: number): number {
    return this.partitionInfo(topic, partition)?.leaderEpoch ?? -1;
  }

  /** A partition's metadata (leader, leader epoch, replicas, ISR), if known. */
  partitionInfo(topic: string, partition: number): PartitionInfo | undefined {
    const ps = this.topics.get(topic)?.partitions;
    if (ps === undefined) return undefined;
    const p = ps[partition]; // sorted by partition: usually at its own index
    return p !== undefined && p.partition === partition ? p : ps.find((x) => x.partition === partition);
  }

  /** Whether a broker is in the current metadata. */
  hasBroker(nodeId: number): boolean {
    return this.brokerInfo.has(nodeId);
  }

  partitionCount(topic: string): number {
    return this.topics.get(topic)?.partitions.length ?? 0;
  }

  /** Connection for the controller (admin requests that Kafka routes there), else any broker. */
  async controllerConnection(): Promise<Connection> {
    if (this.controllerId < 0 || !this.brokerInfo.has(this.controllerId)) await this.refreshMetadata();
    if (this.controllerId >= 0 && this.brokerInfo.has(this.controllerId)) {
      const c = this.broker(this.controllerId);
      await c.connect();
      return c;
    }
    return this.anyConnection();
  }
}

