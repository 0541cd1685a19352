/**
 * The broker process core: config, storage engine, metadata, listeners, handlers, retention.
 * `start()` brings it up (in milliseconds with the memory engine), `stop()` shuts it down
 * cleanly: stop accepting, let in-flight responses go out briefly, flush and close the logs,
 * leave the clean-shutdown marker. Signal handling belongs to the CLI.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey } from '@samsa/protocol';
import { decompressSync, type CompressionType } from '@samsa/protocol/records';
import { ReplicaManager, type TopicPartitionState } from './cluster/replica-manager.js';
import { StorePartitionStateWriter } from './replication/partition-state-writer.js';
import { ReplicationManager } from './replication/replication-manager.js';
import { BrokerConfig, type AdvertisedListener } from './config/broker-config.js';
import { BrokerTransactionCoordinator } from './coordinator/transaction/broker-transaction-coordinator.js';
import { BrokerGroupCoordinator } from './coordinator/group/broker-group-coordinator.js';
import { handlers as defaultHandlers } from './handlers/index.js';
import type { ApiHandler, BrokerServices, PartitionAppendHook } from './handlers/types.js';
import { TopicOperationError } from './metadata/errors.js';
import type { MetadataImage } from './metadata/image.js';
import { ensureMetaProperties, readMetaProperties } from './metadata/meta-properties.js';
import { Controller } from './metadata/controller.js';
import { decodeClusterId, encodeBroker, encodeClusterId, Paths } from './metadata/kafka-layout.js';
import { LocalMetadataStore, RevisionMismatchError, type MetadataStore } from './metadata/metadata-store.js';
import { openMetadataStore } from './metadata/open-store.js';
import { TopicManager } from './metadata/topic-manager.js';
import { randomClusterId } from './metadata/uuid.js';
import { FetchSessionCache } from './server/fetch-session-cache.js';
import { ProducerManager } from './producer/producer-manager.js';
import { Purgatory } from './server/purgatory.js';
import { apiVersionsList, RequestRouter } from './server/request-router.js';
import { DEFAULT_MAX_IDLE_FRAME_BYTES, FrameBufferPool } from './server/frame-buffers.js';
import { RequestMemoryPool } from './server/request-memory.js';
import { SocketServer } from './server/socket-server.js';
import { BrokerSecurity } from './security/broker-security.js';
import { InterBrokerChannel, isTlsStoreKey } from './security/inter-broker.js';
import { ListenerConfig } from './security/listener-config.js';
import { RequestGate } from './security/request-gate.js';
import { tlsServerOptions } from './security/tls.js';
import type { RecordsDecompressor } from './storage/batch-util.js';
import { LogCleaner, type CleanableLog } from './storage/log-cleaner.js';
import { MemoryStorageEngine } from './storage/memory-engine.js';
import type { PartitionLog, StorageEngine } from './storage/partition-log.js';
import { systemClock, type Clock, type TimerHandle } from './util/clock.js';
import { DirLock } from './util/dir-lock.js';
import { createLogger, type Logger } from './util/log.js';

/** Kafka's marker of a clean shutdown in each log dir (skips recovery on the next start). */
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

export interface BrokerOptions {
  config?: BrokerConfig | Record<string, string>;
  /** 'file' (default): Kafka's on-disk layout in log.dirs; 'memory': nothing on disk. */
  storage?: 'file' | 'memory' | StorageEngine;
  clock?: Clock;
  logger?: Logger;
  /** Replaces the handler list (tests, embedding). */
  handlers?: readonly ApiHandler[];
  metadataStore?: MetadataStore;
  /** Cluster id to use when none is stored yet (memory brokers, tests). */
  clusterId?: string;
  appendHook?: PartitionAppendHook | null;
  /** How long stop() waits for in-flight responses. */
  shutdownGraceMs?: number;
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Broker implements BrokerServices {
  readonly config: BrokerConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly nodeId: number;
  /** Long-poll fetches. */
  readonly purgatory: Purgatory;
  /** acks=all produces waiting for the high watermark. */
  readonly producePurgatory: Purgatory;
  readonly fetchSessions: FetchSessionCache;
  readonly handlers: readonly ApiHandler[];
  readonly apiVersions: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>;
  private state: State = 'new';
  private storageEngine: StorageEngine | null = null;
  private topicManager: TopicManager | null = null;
  private registry: ReplicaManager | null = null;
  private store: MetadataStore | null = null;
  private servers: SocketServer[] = [];
  private retentionTimer: TimerHandle | null = null;
  private producerManager: ProducerManager | null = null;
  private cleaner: LogCleaner | null = null;
  private groups: BrokerGroupCoordinator | null = null;
  private txns: BrokerTransactionCoordinator | null = null;
  private replicationManager: ReplicationManager | null = null;
  private controllerRole: Controller | null = null;
  private unsubscribeSession: (() => void) | null = null;
  private cluster = '';
  private securityParts: BrokerSecurity | null = null;
  private interBrokerChannel: InterBrokerChannel | null = null;
  private dirLocks: DirLock[] = [];

  constructor(private readonly opts: BrokerOptions = {}) {
    this.config = opts.config instanceof BrokerConfig ? opts.config : new BrokerConfig(opts.config ?? {});
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? createLogger('kafka.server.KafkaServer');
    this.nodeId = this.config.nodeId;
    this.purgatory = new Purgatory(this.clock);
    this.producePurgatory = new Purgatory(this.clock);
    this.fetchSessions = new FetchSessionCache(this.config.int('max.incremental.fetch.session.cache.slots'), this.clock);
    this.handlers = enabledHandlers(opts.handlers ?? defaultHandlers, this.config);
    this.apiVersions = apiVersionsList(this.handlers);
  }

  get clusterId(): string {
    return this.cluster;
  }
  get metadata(): MetadataImage {
    return this.topics.image;
  }
  get topics(): TopicManager {
    if (this.topicManager === null) throw new Error('broker not started');
    return this.topicManager;
  }
  get partitions(): ReplicaManager {
    if (this.registry === null) throw new Error('broker not started');
    return this.registry;
  }
  /** This broker's controller role (active when it won the election). */
  get controller(): Controller {
    if (this.controllerRole === null) throw new Error('broker not started');
    return this.controllerRole;
  }
  get metadataStore(): MetadataStore {
    if (this.store === null) throw new Error('broker not started');
    return this.store;
  }
  get storage(): StorageEngine {
    if (this.storageEngine === null) throw new Error('broker not started');
    return this.storageEngine;
  }
  /** Producer ids and idempotent producer state (null when an appendHook replaced it, or not started). */
  get producers(): ProducerManager | null {
    return this.producerManager;
  }
  /** Follower fetchers, ISR changes and controlled shutdown (null until started). */
  get replication(): ReplicationManager | null {
    return this.replicationManager;
  }
  /** Consumer groups and committed offsets (`__consumer_offsets`); null until started. */
  get groupCoordinator(): BrokerGroupCoordinator | null {
    return this.groups;
  }
  /** Transactions (`__transaction_state`); null until started. */
  get transactionCoordinator(): BrokerTransactionCoordinator | null {
    return this.txns;
  }
  /** Authentication, ACLs and quotas (null until started). */
  get security(): BrokerSecurity | null {
    return this.securityParts;
  }
  /** How this broker connects to the others (inter-broker listener, TLS, SASL); set at start. */
  get interBroker(): InterBrokerChannel {
    if (this.interBrokerChannel === null) throw new Error('broker not started');
    return this.interBrokerChannel;
  }
  /** Log compaction (null when log.cleaner.enable=false or not started). */
  get logCleaner(): LogCleaner | null {
    return this.cleaner;
  }
  get isRunning(): boolean {
    return this.state === 'running';
  }

  /** Bound ports by listener name (differs from the config when it said 0). */
  get boundListeners(): Array<{ name: string; host: string; port: number }> {
    return this.servers.map((s) => ({ name: s.listener.name, host: s.listener.host, port: s.port }));
  }

  /** Open client connections across listeners. */
  get connectionCount(): number {
    let n = 0;
    for (const s of this.servers) n += s.connectionCount;
    return n;
  }

  /** For tests: the socket servers (connection inspection). */
  get socketServers(): readonly SocketServer[] {
    return this.servers;
  }

  advertisedListener(listenerName: string): AdvertisedListener {
    const adv = this.config.advertisedListeners.find((l) => l.name === listenerName) ?? this.config.advertisedListeners[0]!;
    if (adv.port !== 0) return adv;
    const bound = this.servers.find((s) => s.listener.name === adv.name) ?? this.servers[0];
    return { name: adv.name, host: adv.host, port: bound?.port ?? 0 };
  }

  async autoCreateTopic(name: string): Promise<void> {
    try {
      const t = await this.topics.createTopic({ name });
      this.log.info(`Auto-created topic ${name} with ${t.partitions.length} partition(s) (topic id ${t.id})`);
    } catch (e) {
      if (e instanceof TopicOperationError && e.errorName === 'TOPIC_ALREADY_EXISTS') return;
      throw e;
    }
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`cannot start a broker that is ${this.state}`);
    this.state = 'starting';
    const started = Date.now();
    try {
      for (const key of this.config.unknownKeys) this.log.warn(`The configuration '${key}' was supplied but isn't a known config.`);
      for (const warning of this.config.inertSettingWarnings()) this.log.warn(warning);
      // Before anything else: a missing inter-broker credential or unreadable keystore stops the broker.
      const interBroker = new InterBrokerChannel(this.config);
      this.interBrokerChannel = interBroker;
      const storage = this.opts.storage ?? 'file';
      const useDisk = storage === 'file' || (typeof storage === 'object' && storage.kind === 'file');
      if (useDisk) {
        for (const dir of this.config.logDirs) mkdirSync(dir, { recursive: true });
        // Before anything reads or writes the directories: a second broker on them refuses.
        for (const dir of this.config.logDirs) this.dirLocks.push(DirLock.acquire(dir));
      }
      this.store = this.opts.metadataStore ?? (await openMetadataStore(this.config, useDisk ? this.config.logDirs[0]! : null));
      this.cluster = await this.resolveClusterId(useDisk);
      this.storageEngine = typeof storage === 'object' ? storage : storage === 'memory' ? new MemoryStorageEngine({ now: () => this.clock.now(), decompress: decompressRecords }) : await openFileEngine(this.config, this.clock);
      if (useDisk) for (const dir of this.config.logDirs) rmSync(join(dir, CLEAN_SHUTDOWN_FILE), { force: true });

      this.topicManager = new TopicManager(this.store, this.config, this.cluster, this.nodeId);
      this.registry = new ReplicaManager({
        storage: this.storageEngine, brokerConfig: this.config, fetchPurgatory: this.purgatory, producePurgatory: this.producePurgatory,
        nodeId: this.nodeId, clock: this.clock, log: this.log.child('kafka.server.ReplicaManager'),
      });
      const registry = this.registry;
      registry.appendHook = this.opts.appendHook ?? null;
      this.topicManager.onChange((image, delta) => {
        registry.applyDelta(image, delta);
        // Fenced (store session lost): lead nothing, whatever the last image said; unfenced: the image's states again.
        if (image.fenced || delta.clusterChanged === true) registry.becomeLeaderOrFollower(partitionStates(image));
        // Dynamic broker configs altered through any broker reach this one too.
        if (delta.brokerConfigsChanged === true) {
          this.topicManager?.loadBrokerConfigOverrides().then(() => registry.refreshConfigs(), (e: unknown) => this.log.warn(`Could not reload dynamic broker configs: ${(e as Error).message}`));
        }
      });
      const topics = this.topicManager;
      const replication = new ReplicationManager({
        nodeId: this.nodeId, config: this.config, clock: this.clock, log: this.log, replicas: registry,
        stateWriter: new StorePartitionStateWriter(this.store), image: () => topics.image, interBroker,
      });
      this.replicationManager = replication;
      this.topicManager.onChange((image, delta) => replication.apply(image, delta));
      if (this.opts.appendHook === undefined) {
        // Idempotent producers: id allocation, producer state per log (recovered at open), expiry.
        const producers = new ProducerManager({
          store: this.store, brokerId: this.nodeId, clock: this.clock, log: this.log.child('kafka.log.ProducerStateManager'),
          producerIdExpirationMs: this.config.int('producer.id.expiration.ms'),
          expirationCheckIntervalMs: this.config.int('producer.id.expiration.check.interval.ms'),
        });
        this.producerManager = producers;
        registry.appendHook = producers;
        this.topicManager.onChange(() => producers.track(hostedLogs(registry)));
      }
      this.topicManager.localLogs = registry;
      // Deletions a crash interrupted (their logs already `-delete` markers) finish before any log opens.
      const finished = await this.topicManager.finishInterruptedDeletions(this.storageEngine.deletedAtStartup);
      for (const t of finished) this.log.warn(`Finished deleting topic ${t}: its deletion was interrupted (its logs were already marked for deletion)`);
      await this.topicManager.load();
      if (this.store instanceof LocalMetadataStore && this.store.persistent) {
        // A single broker's metadata is the whole truth: logs no topic claims are leftovers of a crash.
        registry.removeUnclaimedLogs(this.topicManager.image, new Set(finished));
        // The `-delete` dirs record deletions until the metadata that finishes them is on disk.
        if (!this.store.backend.hasUnpersistedChanges) this.storageEngine.purgeDeletedLogs();
      } else {
        // Metadata elsewhere (ZooKeeper, etcd, in memory) records no deletion in them: a `-delete`
        // dir is the leftover of a crash (a deletion, a log dir move), removed at startup as
        // Kafka's LogManager does, or its bytes would stay on the disk for good.
        this.storageEngine.purgeDeletedLogs();
      }
      this.securityParts = new BrokerSecurity(this.config, this.store, this.clock, this.log.child('kafka.security'));
      await this.securityParts.load();
      if (this.producerManager !== null) {
        this.producerManager.track(hostedLogs(registry));
        this.producerManager.start();
      }
      registry.start();
      replication.start();
      if (this.config.bool('log.cleaner.enable')) this.startLogCleaner(registry);
      // Loads the __consumer_offsets partitions led here (replay) and follows metadata changes.
      this.groups = new BrokerGroupCoordinator(this);
      this.groups.start();
      // Loads the __transaction_state partitions led here; prepared transactions get their markers.
      this.txns = new BrokerTransactionCoordinator(this);
      this.txns.start();

      const storageEngine = this.storageEngine;
      const requestMemory = new RequestMemoryPool(Number(this.config.long('queued.max.request.bytes')));
      const connOpts = {
        maxFrameBytes: this.config.int('socket.request.max.bytes'),
        idleMs: this.config.long('connections.max.idle.ms'),
        maxInFlight: Math.max(1, Math.min(this.config.int('queued.max.requests'), 100)),
        writeHighWater: 4 * 1024 * 1024,
        backlog: this.config.int('socket.listen.backlog.size'),
        maxConnections: this.config.int('max.connections'),
        durabilityBarrier: () => storageEngine.durabilityBarrier(),
        readBuffers: storageEngine.readBuffers,
        // One pool for every listener, as Kafka's SocketServer has (-1, the default: unbounded).
        requestMemory,
        // Under queued.max.request.bytes, what sits idle between requests stays within the bound too.
        frameBuffers: new FrameBufferPool(requestMemory.bounded ? Math.min(DEFAULT_MAX_IDLE_FRAME_BYTES, requestMemory.capacity) : DEFAULT_MAX_IDLE_FRAME_BYTES),
        maxConnectionsPerIp: this.config.int('max.connections.per.ip'),
      };
      for (const l of this.config.listeners) {
        if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(l.securityProtocol)) throw new Error(`listener ${l.name}: unknown security protocol ${l.securityProtocol}`);
        const authenticator = this.securityParts.authenticator(l);
        const tls = l.securityProtocol.endsWith('SSL') ? tlsServerOptions(new ListenerConfig(this.config, l.name)) : null;
        const gate = new RequestGate(authenticator, this.securityParts.quotas, this.clock);
        const router = new RequestRouter(this.handlers, this, l.name, this.log.child('kafka.network.RequestChannel'), gate);
        const server = new SocketServer(l, router, connOpts, this.log.child('kafka.network.SocketServer'), tls);
        await server.start();
        this.servers.push(server);
      }
      // Certificate rotation: a dynamic key/trust store update reaches new connections, both ways.
      this.config.onDynamicChange((changed) => {
        if (![...changed].some(isTlsStoreKey) || this.state === 'stopped' || this.state === 'stopping') return;
        const tlsServers = this.servers.filter((x) => x.listener.securityProtocol.endsWith('SSL'));
        try {
          for (const server of tlsServers) server.updateTls(tlsServerOptions(new ListenerConfig(this.config, server.listener.name)));
          interBroker.reloadTls();
          this.log.info(`Reloaded the TLS key and trust stores of listeners ${tlsServers.map((x) => x.listener.name).join(',') || '(none)'} and of inter-broker connections`);
        } catch (e) {
          this.log.error(`Could not reload the TLS key and trust stores; new connections keep the previous ones: ${(e as Error).message}`);
        }
      });
      await this.register();
      const image = () => this.topicManager!.metadata.image;
      const uncleanDefault = () => this.config.bool('unclean.leader.election.enable');
      this.controllerRole = new Controller(this.store, this.topicManager.metadata, this.nodeId, this.log.child('kafka.controller.KafkaController'), () => this.clock.now(), (topic) => {
        const override = image().topic(topic)?.configs.get('unclean.leader.election.enable');
        return override !== undefined ? override === 'true' : uncleanDefault();
      }, () => ({
        enabled: this.config.bool('auto.leader.rebalance.enable'),
        imbalancePercentage: this.config.int('leader.imbalance.per.broker.percentage'),
        checkIntervalMs: Number(this.config.long('leader.imbalance.check.interval.seconds')) * 1000,
      }));
      this.controllerRole.start();
      this.unsubscribeSession = this.store.onSession((s) => this.onSessionChange(s));
      // Our own registration must be in the image before admin requests place replicas.
      await this.topicManager.metadata.waitFor((i) => i.broker(this.nodeId) !== undefined, 30000);
      this.scheduleRetention();
      this.state = 'running';
      this.log.info(`[KafkaServer id=${this.nodeId}] started (cluster ${this.cluster}, ${this.storageEngine.kind} storage, ${this.metadata.topicsByName.size} topic(s), ${Date.now() - started} ms)`);
    } catch (e) {
      this.state = 'stopping';
      await this.shutdownParts();
      this.state = 'stopped';
      throw e;
    }
  }

  /**
   * The cluster id lives in the store (/cluster/id): the first broker writes its own (from
   * meta.properties, or new); every broker checks its log dirs belong to that cluster.
   */
  private async resolveClusterId(useDisk: boolean): Promise<string> {
    const store = this.store!;
    const fromDisk = useDisk ? readClusterIdFromDirs(this.config.logDirs) : null;
    let stored = await store.get(Paths.clusterId);
    if (stored === null) {
      try {
        await store.put(Paths.clusterId, encodeClusterId(fromDisk ?? this.opts.clusterId ?? randomClusterId()), { expectedRevision: 0 });
      } catch (e) {
        if (!(e instanceof RevisionMismatchError)) throw e;
      }
      stored = await store.get(Paths.clusterId);
    }
    const clusterId = decodeClusterId(stored!.value);
    if (fromDisk !== null && fromDisk !== clusterId) {
      throw new Error(`The Cluster ID ${clusterId} doesn't match stored clusterId Some(${fromDisk}) in meta.properties. The broker is trying to join the wrong cluster. Configured ${store.description}`);
    }
    if (useDisk) ensureMetaProperties(this.config.logDirs, this.nodeId, () => clusterId);
    return clusterId;
  }

  /** The ephemeral /brokers/ids/N registration; waits out a previous session's node (a restart within the session timeout). */
  private async register(): Promise<void> {
    const store = this.store!;
    const endpoints = this.config.advertisedListeners.map((l) => {
      const a = this.advertisedListener(l.name);
      const listener = this.config.listeners.find((x) => x.name === l.name);
      return { listener: l.name, securityProtocol: listener?.securityProtocol ?? 'PLAINTEXT', host: a.host, port: a.port };
    });
    const first = endpoints[0]!;
    const value = encodeBroker({ id: this.nodeId, host: first.host, port: first.port, rack: this.config.get('broker.rack') as string | null, endpoints }, this.clock.now());
    const deadline = Date.now() + Math.max(this.config.int('zookeeper.session.timeout.ms') * 2, 5000);
    for (;;) {
      try {
        await store.put(Paths.broker(this.nodeId), value, { ephemeral: true });
        this.log.info(`Registered broker ${this.nodeId} at path ${Paths.broker(this.nodeId)} with addresses: ${endpoints.map((e) => `${e.listener}://${e.host}:${e.port}`).join(',')} (${store.description}); other brokers are reached on ${this.interBroker.describe()}`);
        return;
      } catch (e) {
        if (!(e instanceof RevisionMismatchError) || Date.now() > deadline) {
          throw new Error(`Error while creating ephemeral at ${Paths.broker(this.nodeId)}, node already exists and owner does not match current session: is another broker running with broker.id=${this.nodeId}? (${(e as Error).message})`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  /** Session lost: stop leading (fenced) and give up the controller seat; restored: re-register and rejoin. */
  private onSessionChange(s: 'lost' | 'restored'): void {
    if (this.state !== 'running') return;
    if (s === 'lost') {
      this.log.warn(`[KafkaServer id=${this.nodeId}] Lost the ${this.store!.description} session: fenced until it comes back`);
      this.controllerRole?.resign();
      this.topicManager?.metadata.fence();
      return;
    }
    void (async () => {
      try {
        await this.register();
        await this.topicManager!.metadata.rejoin();
        this.controllerRole?.trigger();
        this.log.info(`[KafkaServer id=${this.nodeId}] Rejoined the cluster on a new ${this.store!.description} session`);
      } catch (e) {
        this.log.error(`[KafkaServer id=${this.nodeId}] Could not rejoin after the session came back`, e);
      }
    })();
  }

  private scheduleRetention(): void {
    const interval = this.config.long('log.retention.check.interval.ms');
    this.retentionTimer = this.clock.setTimeout(() => {
      this.retentionTimer = null;
      if (this.state !== 'running') return;
      this.registry?.applyRetention(this.clock.now());
      this.scheduleRetention();
    }, interval);
  }

  private startLogCleaner(registry: ReplicaManager): void {
    const producers = this.producerManager;
    this.cleaner = new LogCleaner({
      clock: this.clock,
      logs: () => compactableLogs(registry),
      ...(producers !== null ? {
        producerLastBatches: (log: PartitionLog) => producers.stateOf(log).lastDataOffsets(),
        transactionIndex: (log: PartitionLog) => producers.attach(log).abortedTxns,
      } : {}),
      logger: this.log.child('kafka.log.LogCleaner'),
      backoffMs: () => this.config.long('log.cleaner.backoff.ms'),
      dedupeBufferSize: () => this.config.long('log.cleaner.dedupe.buffer.size'),
      ioBufferSize: () => this.config.int('log.cleaner.io.buffer.size'),
    });
    this.cleaner.loadCheckpoints(this.storage.logDirs);
    this.cleaner.start();
  }

  /** Runs a retention pass now (tests, admin). */
  applyRetention(): void {
    this.registry?.applyRetention(this.clock.now());
  }

  /**
   * Stops the broker. A running broker first hands its leaderships over when
   * controlled.shutdown.enable is true (`controlledShutdown` overrides it: tests use false to
   * stop the way a crash would, without telling anyone).
   */
  async stop(opts: { controlledShutdown?: boolean } = {}): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.log.info(`[KafkaServer id=${this.nodeId}] shutting down`);
    const replication = this.replicationManager;
    if (wasRunning && replication !== null && (opts.controlledShutdown ?? this.config.bool('controlled.shutdown.enable'))) {
      const left = await replication.controlledShutdown().catch((e: unknown) => {
        this.log.warn(`[KafkaServer id=${this.nodeId}] Controlled shutdown failed`, e);
        return -1;
      });
      if (left === 0) this.log.info(`[KafkaServer id=${this.nodeId}] Controlled shutdown succeeded`);
      else this.log.warn(`[KafkaServer id=${this.nodeId}] Proceeding to do an unclean shutdown: ${left} partition(s) still led here`);
    }
    await this.shutdownParts();
    this.state = 'stopped';
    this.log.info(`[KafkaServer id=${this.nodeId}] shut down completed`);
  }

  private async shutdownParts(): Promise<void> {
    if (this.retentionTimer !== null) this.clock.clearTimeout(this.retentionTimer);
    this.retentionTimer = null;
    this.unsubscribeSession?.();
    this.controllerRole?.stop();
    this.producerManager?.stop();
    await this.cleaner?.stop();
    this.txns?.stop();
    this.groups?.stop();
    this.replicationManager?.stop();
    // Long polls answer now with what they have, so their responses can go out before close.
    this.purgatory.shutdown();
    this.producePurgatory.shutdown();
    await Promise.all(this.servers.map((s) => s.stop(this.opts.shutdownGraceMs ?? 1000)));
    this.servers = [];
    this.topicManager?.close();
    this.securityParts?.close();
    const engine = this.storageEngine;
    if (engine !== null) {
      // Appends still being written land before the logs close (close then fsyncs synchronously).
      await engine.whenWritesDone();
      try {
        this.registry?.flushAll();
        this.registry?.stop();
        engine.close();
        if (engine.kind === 'file') {
          for (const dir of engine.logDirs) if (existsSync(dir) && !existsSync(join(dir, CLEAN_SHUTDOWN_FILE))) writeFileSync(join(dir, CLEAN_SHUTDOWN_FILE), '');
        }
      } catch (e) {
        this.log.error('Error closing the logs', e);
      }
    }
    await this.store?.close();
    for (const lock of this.dirLocks) lock.release();
    this.dirLocks = [];
  }
}

/** Every partition's leadership as the image says, or with no leader while this broker is fenced. */
function* partitionStates(image: MetadataImage): Generator<TopicPartitionState> {
  for (const t of image.topicsByName.values()) {
    for (const p of t.partitions) {
      yield { topic: t.name, partition: p.partition, leader: image.fenced ? -1 : p.leader, leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr };
    }
  }
}

function readClusterIdFromDirs(dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    const mp = readMetaProperties(dir);
    if (mp !== null) return mp.clusterId;
  }
  return null;
}

/** Without the 'consumer' rebalance protocol, KIP-848's APIs are neither served nor advertised (as Kafka). */
function enabledHandlers(handlers: readonly ApiHandler[], config: BrokerConfig): readonly ApiHandler[] {
  if (config.list('group.coordinator.rebalance.protocols').includes('consumer')) return handlers;
  return handlers.filter((h) => h.apiKey !== ApiKey.ConsumerGroupHeartbeat && h.apiKey !== ApiKey.ConsumerGroupDescribe);
}

/**
 * Lets the logs look inside compressed batches off the hot path (ListOffsets by timestamp and
 * max timestamp name the record, not the batch, as Kafka does). Produce and Fetch never call it.
 */
const decompressRecords: RecordsDecompressor = (codec, data) => decompressSync(codec as CompressionType, data);

function* hostedLogs(registry: ReplicaManager): Generator<PartitionLog> {
  for (const p of registry.allPartitions()) yield p.log;
}

function* compactableLogs(registry: ReplicaManager): Generator<CleanableLog> {
  for (const t of registry.all()) {
    const config = t.config.toLogConfig();
    const maxCompactionLagMs = t.config.num('max.compaction.lag.ms');
    // Compaction stops at the last stable offset: open transactions and what the ISR may not have yet stay.
    for (const p of t.partitions) if (p !== undefined) yield { log: p.log, config, maxCompactionLagMs, lastStableOffset: p.lastStableOffset };
  }
}

/** The file engine is loaded lazily so memory-only embedders never touch it. */
async function openFileEngine(config: BrokerConfig, clock: Clock): Promise<StorageEngine> {
  const mod = (await import('./storage/index.js')) as Record<string, unknown>;
  const Ctor = mod['FileStorageEngine'] as (new (opts: Record<string, unknown>) => StorageEngine) | undefined;
  if (Ctor === undefined) throw new Error('the file storage engine is not available in this build; use storage=memory');
  return new Ctor({ logDirs: [...config.logDirs], now: () => clock.now(), decompress: decompressRecords });
}
