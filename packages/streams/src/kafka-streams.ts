/**
 * KafkaStreams: runs a Topology against a Kafka-compatible cluster with @samsa/client.
 * application.id is the consumer group; the group leader's "stream" assignor deals out tasks
 * (sub-topology x partition) and each member consumes its tasks' source partitions. Internal
 * topics (repartition, changelog) are created on start. Each loop: poll, process, flush the
 * producer; offsets are committed after the flush (at-least-once) every commit.interval.ms and
 * whenever the input goes idle. Positions are also committed when a rebalance revokes
 * partitions, and since output is flushed before every poll those positions are safe to commit.
 *
 * processing.guarantee=exactly_once_v2: one transactional producer per instance
 * (transactional.id `<application.id>-<process id>-1`, the process id kept in the state dir so a
 * restarted instance fences its predecessor at once); output, changelog writes and the input
 * offsets go in one transaction committed every commit.interval.ms (100 ms). Input and changelogs
 * are read read_committed; stores are checkpointed only on a clean close, so after a crash they
 * are rebuilt from the committed changelog. A rebalance that revokes partitions commits the open
 * transaction in the revocation callback, while this member's generation still owns them (the
 * group coordinator refuses offsets of an older generation, KIP-447). An abortable producer error
 * (such as that refusal) or lost partitions abort the transaction, drop the tasks' state and
 * rewind the input to the committed offsets.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Admin, type Assignment, type Assignor, type Consumer, createAdmin, createConsumer, createProducer, type FetchedBatch, KafkaError, type Message, type Producer } from '@samsa/client';
import { type StreamsConfig, streamsConfig, type StreamsProperties } from './config.js';
import { ReadOnlyStore, type StateStore } from './state/stores.js';
import { changelogTopic, StreamTask, type TaskIo } from './task.js';
import { type Subtopology, type Topology, TopologyException } from './topology.js';

export type StreamsState = 'CREATED' | 'REBALANCING' | 'RUNNING' | 'PENDING_SHUTDOWN' | 'NOT_RUNNING' | 'ERROR';

export class MissingSourceTopicException extends Error {
  override readonly name = 'MissingSourceTopicException';
}

/** The group moved this instance's tasks elsewhere before it could commit them (Kafka Streams' TaskMigratedException). */
export class TaskMigratedException extends Error {
  override readonly name = 'TaskMigratedException';
}

const TOPIC_ALREADY_EXISTS = 36;

/** A task's `.checkpoint` file: changelog offsets of its persistent stores, and its stream time. */
interface Checkpoint {
  offsets: Record<string, string>;
  streamTime: number | null;
}

interface TopicPlan {
  /** subtopology id by resolved source topic */
  subtopologyOf: Map<string, number>;
  /** task count by subtopology id */
  taskCount: Map<number, number>;
}

export class KafkaStreams {
  readonly config: StreamsConfig;
  state: StreamsState = 'CREATED';
  private readonly subtopologies: Subtopology[];
  private readonly tasks = new Map<string, StreamTask>();
  /** Tasks whose partitions were revoked or lost since the last syncTasks. */
  private readonly revoked = new Set<string>();
  private plan: TopicPlan = { subtopologyOf: new Map(), taskCount: new Map() };
  private admin!: Admin;
  private producer!: Producer;
  private consumer!: Consumer;
  private restoreConsumer!: Consumer;
  private pending = new Map<string, Message[]>();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private dirty = false;
  /** The first rebalance has completed (RUNNING is only reached after it). */
  private joined = false;
  private lastCommit = Date.now();
  private readonly eos: boolean;
  /** Per task partition, the input offsets the last commit covered (exactly-once commits only what moved). */
  private readonly committedOffsets = new Map<string, bigint>();
  private readonly io: TaskIo;
  private stateListener: ((next: StreamsState, prev: StreamsState) => void) | null = null;
  /** Exactly-once: a commit at revocation failed, or partitions were lost with a transaction open. */
  private revocationFailure: Error | null = null;
  /**
   * The tail of the work that touches the tasks and the transaction: a processing step (after
   * its poll) and a revocation's commit run one after the other, never interleaved, since the
   * cooperative rebalance can call onRevoked while the loop is between polls.
   */
  private exclusive: Promise<unknown> = Promise.resolve();
  /** Commits made in the rebalance callback for partitions the group was taking away. */
  revocationCommits = 0;
  /** Exactly-once transactions aborted (tasks rewound to the last commit) after an abortable error or lost partitions. */
  aborts = 0;
  private errorHandler: ((err: Error) => void) | null = null;

  constructor(
    private readonly topology: Topology,
    props: StreamsProperties,
  ) {
    this.config = streamsConfig(props);
    this.eos = this.config.processingGuarantee === 'exactly_once_v2';
    this.subtopologies = topology.subtopologies();
    const cfg = this.config;
    this.io = {
      applicationId: cfg.applicationId,
      topicName: (t) => this.topicName(t),
      defaultKeySerde: cfg.defaultKeySerde,
      defaultValueSerde: cfg.defaultValueSerde,
      defaultStoreType: cfg.defaultStoreType,
      skipOnDeserializationError: cfg.skipOnDeserializationError,
      send: (topic, key, value, timestamp, partition, headers) => {
        let list = this.pending.get(topic);
        if (list === undefined) this.pending.set(topic, (list = []));
        const m: Message = { key, value, timestamp };
        if (partition !== undefined) m.partition = partition;
        if (headers !== undefined) m.headers = headers.map((h) => ({ key: h.key, value: h.value }));
        list.push(m);
      },
      partitionCount: (t) => this.producer.cluster.partitionCount(t),
      taskDir: (id) => join(cfg.stateDir, cfg.applicationId, id),
      wallClockMs: () => Date.now(),
    };
  }

  private topicName(t: string): string {
    return this.topology.internalTopics.has(t) ? `${this.config.applicationId}-${t}` : t;
  }

  setStateListener(fn: (next: StreamsState, prev: StreamsState) => void): void {
    this.stateListener = fn;
  }

  /** Called when the processing loop dies; the instance is then in state ERROR. */
  setUncaughtExceptionHandler(fn: (err: Error) => void): void {
    this.errorHandler = fn;
  }

  private setState(next: StreamsState): void {
    const prev = this.state;
    if (prev === next) return;
    this.state = next;
    this.stateListener?.(next, prev);
  }

  async start(): Promise<void> {
    if (this.state !== 'CREATED') throw new Error(`KafkaStreams cannot start in state ${this.state}`);
    this.setState('REBALANCING');
    const cfg = this.config;
    const common = { bootstrapServers: cfg.bootstrapServers, clientId: cfg.clientId };
    this.admin = createAdmin(common);
    try {
      await this.planTopics();
      const isolationLevel = this.eos ? 'read_committed' as const : 'read_uncommitted' as const;
      this.producer = createProducer({ ...common, acks: 'all', ...(this.eos ? { transactionalId: `${cfg.applicationId}-${this.processId()}-1`, transactionTimeoutMs: cfg.transactionTimeoutMs } : {}) });
      await this.producer.connect();
      // fences a previous incarnation and aborts what it left open, before offsets are read
      if (this.eos) await this.producer.initTransactions();
      this.restoreConsumer = createConsumer({ ...common, clientId: `${cfg.clientId}-restore`, autoOffsetReset: 'earliest', isolationLevel });
      this.consumer = createConsumer({
        ...common,
        groupId: cfg.applicationId,
        autoOffsetReset: cfg.autoOffsetReset,
        isolationLevel,
        // the loop commits, and at a revocation the callback below (exactly-once: in transactions only)
        enableAutoCommit: false,
        sessionTimeoutMs: cfg.sessionTimeoutMs,
        heartbeatIntervalMs: cfg.heartbeatIntervalMs,
        maxPollIntervalMs: cfg.maxPollIntervalMs,
        assignors: [this.assignor()],
      });
      this.consumer.onRevoked = (tps) => this.serially(async () => {
        this.markRevoked(tps);
        // What the tasks did so far (exactly-once: the open transaction of output, changelogs and
        // input offsets) commits now, while this member's generation still owns the partitions and
        // before the group hands them to another member (Kafka Streams' handleRevocation). Committed
        // after the rebalance, the offsets would be a zombie's: refused (ILLEGAL_GENERATION), or
        // the new owner would process the same input again.
        if (!this.dirty || this.revocationFailure !== null) return;
        try {
          await this.commit();
          this.revocationCommits++;
        } catch (err) {
          // exactly-once: the loop aborts the transaction and rewinds; at-least-once: the new
          // owner processes the input since the last commit again
          if (this.eos) this.revocationFailure = err as Error;
          else process.stderr.write(`WARN commit at revocation failed (${(err as Error).message})\n`);
        }
      });
      this.consumer.onLost = (tps) => this.serially(async () => {
        this.markRevoked(tps);
        // The group went on without this member (session expired, fenced): another member may
        // process these partitions already, so nothing may commit for them; the loop aborts the
        // transaction and rebuilds the tasks from the last commit (Kafka Streams' handleLostAll).
        if (this.eos && this.dirty) this.revocationFailure ??= new TaskMigratedException(`partitions lost: ${[...tps].map(([t, ps]) => `${t}-[${ps.join(',')}]`).join(' ')}`);
      });
      this.consumer.onAssigned = () => void (this.joined = true);
      this.consumer.subscribe([...this.plan.subtopologyOf.keys()]);
    } catch (err) {
      this.setState('ERROR');
      await this.closeClients();
      throw err;
    }
    this.loop = this.runLoop().catch(async (err: Error) => {
      this.setState('ERROR');
      await this.closeClients().catch(() => {});
      if (this.errorHandler !== null) this.errorHandler(err);
      else process.stderr.write(`stream thread died: ${err.stack ?? err.message}\n`);
    });
  }

  /**
   * The instance's process id, kept in `<state.dir>/<application.id>/kafka-streams-process-metadata`
   * as Kafka Streams does, so that a restart on the same state dir reuses its transactional.id.
   */
  private processId(): string {
    const dir = join(this.config.stateDir, this.config.applicationId);
    const file = join(dir, 'kafka-streams-process-metadata');
    try {
      const id = (JSON.parse(readFileSync(file, 'utf8')) as { processId?: unknown }).processId;
      if (typeof id === 'string' && id !== '') return id;
    } catch {
      // none yet (or unreadable): a new one
    }
    const id = randomUUID();
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify({ processId: id }));
    return id;
  }

  /** Checks source topics, sizes and creates the internal topics. */
  private async planTopics(): Promise<void> {
    const cfg = this.config;
    const external = [...new Set(this.subtopologies.flatMap((s) => s.sourceTopics).filter((t) => !this.topology.internalTopics.has(t)))];
    const counts = new Map<string, number>();
    if (external.length > 0) {
      let described;
      try {
        described = await this.admin.describeTopics({ topics: external });
      } catch (err) {
        if (err instanceof KafkaError && err.code === 3) throw new MissingSourceTopicException(`One or more source topics were missing: ${external.join(', ')} (${err.message})`);
        throw err;
      }
      for (const d of described) counts.set(d.name, d.partitions.length);
      const missing = external.filter((t) => !(counts.get(t)! > 0));
      if (missing.length > 0) throw new MissingSourceTopicException(`One or more source topics were missing during rebalance: [${missing.join(', ')}]`);
    }
    // a repartition topic has as many partitions as the sub-topology writing it reads
    for (let round = 0; round <= this.topology.internalTopics.size; round++) {
      for (const [t, fixed] of this.topology.internalTopics) {
        if (counts.has(t)) continue;
        if (fixed !== undefined) {
          counts.set(t, fixed);
          continue;
        }
        const writer = this.subtopologies.find((s) => s.sinkTopics.includes(t));
        if (writer === undefined) throw new TopologyException(`internal topic ${t} has no writer`);
        const upstream = writer.sourceTopics.map((s) => counts.get(s));
        if (upstream.some((n) => n === undefined)) continue;
        counts.set(t, Math.max(...(upstream as number[])));
      }
    }
    for (const group of this.topology.copartitionGroups) {
      const sizes = new Set(group.map((t) => counts.get(t)));
      if (sizes.size > 1) throw new TopologyException(`Topics not co-partitioned: [${group.map((t) => `${this.topicName(t)}=${counts.get(t)}`).join(', ')}]`);
    }
    const plan: TopicPlan = { subtopologyOf: new Map(), taskCount: new Map() };
    for (const st of this.subtopologies) {
      plan.taskCount.set(st.id, Math.max(...st.sourceTopics.map((t) => counts.get(t) ?? 0)));
      for (const t of st.sourceTopics) plan.subtopologyOf.set(this.topicName(t), st.id);
    }
    this.plan = plan;
    const create: Array<{ topic: string; numPartitions: number; replicationFactor: number; configs: Record<string, string> }> = [];
    for (const [t] of this.topology.internalTopics) {
      create.push({ topic: this.topicName(t), numPartitions: counts.get(t)!, replicationFactor: cfg.replicationFactor, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } });
    }
    for (const st of this.subtopologies) {
      for (const name of st.stores) {
        const probe = this.topology.storeBuilders.get(name)!.build({ storeType: 'in_memory', keySerde: cfg.defaultKeySerde, valueSerde: cfg.defaultValueSerde });
        if (!probe.loggingEnabled) continue;
        create.push({ topic: changelogTopic(cfg.applicationId, name), numPartitions: plan.taskCount.get(st.id)!, replicationFactor: cfg.replicationFactor, configs: probe.changelogConfig });
      }
    }
    if (create.length === 0) return;
    try {
      await this.admin.createTopics({ topics: create });
    } catch (err) {
      const errors = err instanceof AggregateError ? err.errors : [err];
      const real = errors.filter((e) => !(e instanceof KafkaError && e.code === TOPIC_ALREADY_EXISTS));
      if (real.length > 0) throw real[0];
    }
  }

  /**
   * The "stream" assignor, cooperative and sticky: a task stays with the member that owns it
   * while that member holds no more than its share of the sub-topology's tasks; the others go
   * to the least loaded members. Under the cooperative protocol only tasks that move are
   * revoked (and committed) by their owner, then handed out in a follow-up rebalance.
   */
  private assignor(): Assignor {
    return {
      name: 'stream',
      cooperative: true,
      assign: (members, partitionsPerTopic): Assignment => {
        const out: Assignment = new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
        const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
        const ownerOf = new Map<string, string>();
        for (const m of sorted) {
          for (const { topic, partitions } of m.ownedPartitions) {
            const st = this.plan.subtopologyOf.get(topic);
            if (st !== undefined) for (const p of partitions) if (!ownerOf.has(`${st}_${p}`)) ownerOf.set(`${st}_${p}`, m.memberId);
          }
        }
        const load = new Map(sorted.map((m) => [m.memberId, 0]));
        const give = (member: string, st: Subtopology, p: number): void => {
          load.set(member, load.get(member)! + 1);
          const byTopic = out.get(member)!;
          for (const t of st.sourceTopics.map((x) => this.topicName(x))) {
            if (p >= (partitionsPerTopic.get(t) ?? 0)) continue;
            let l = byTopic.get(t);
            if (l === undefined) byTopic.set(t, (l = []));
            l.push(p);
          }
        };
        for (const st of this.subtopologies) {
          const n = this.plan.taskCount.get(st.id) ?? 0;
          const share = Math.ceil(n / sorted.length);
          const inSt = new Map(sorted.map((m) => [m.memberId, 0]));
          const rest: number[] = [];
          for (let p = 0; p < n; p++) {
            const owner = ownerOf.get(`${st.id}_${p}`);
            if (owner !== undefined && inSt.has(owner) && inSt.get(owner)! < share) {
              inSt.set(owner, inSt.get(owner)! + 1);
              give(owner, st, p);
            } else rest.push(p);
          }
          for (const p of rest) {
            // fewest of this sub-topology's tasks first, then fewest tasks overall
            const member = sorted.reduce((best, m) => {
              const d = inSt.get(m.memberId)! - inSt.get(best.memberId)! || load.get(m.memberId)! - load.get(best.memberId)!;
              return d < 0 ? m : best;
            }).memberId;
            inSt.set(member, inSt.get(member)! + 1);
            give(member, st, p);
          }
        }
        return out;
      },
    };
  }

  private markRevoked(tps: ReadonlyMap<string, readonly number[]>): void {
    for (const [topic, ps] of tps) for (const p of ps) {
      const st = this.plan.subtopologyOf.get(topic);
      if (st !== undefined) this.revoked.add(`${st}_${p}`);
    }
    this.setState('REBALANCING');
  }

  /** Runs `work` after what runs already (the loop's step, a revocation's commit). */
  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(work);
    this.exclusive = run.catch(() => {});
    return run;
  }

  private async runLoop(): Promise<void> {
    while (!this.stopping) {
      let batches: FetchedBatch[] = [];
      let pollFailure: unknown = null;
      try {
        batches = await this.consumer.poll(this.config.pollMs);
      } catch (err) {
        pollFailure = err;
      }
      await this.serially(async () => {
        try {
          if (pollFailure !== null) throw pollFailure;
          if (this.revocationFailure !== null) throw this.revocationFailure; // what was polled is read again after the rewind
          if (this.stopping) return;
          await this.process(batches);
        } catch (err) {
          this.revocationFailure = null;
          await this.recover(err as Error);
        }
      });
    }
  }

  /**
   * After a failed step: the thread dies unless the failure is an exactly-once transaction that
   * can be aborted (an abortable producer error, such as offsets the group refused from a member
   * it moved on from, COMMIT_FAILED) or partitions lost with work in progress; then the transaction
   * aborts and the tasks rewind to the last commit.
   */
  private async recover(err: Error): Promise<void> {
    if (!this.eos) throw err;
    const state = this.producer.transactionState;
    if (state === 'FATAL_ERROR') throw err;
    if (state !== 'READY') await this.producer.abortTransaction(); // nothing of it becomes visible
    if (state !== 'ABORTABLE_ERROR' && !(err instanceof TaskMigratedException)) throw err;
    this.aborts++;
    process.stderr.write(`WARN transaction aborted (${err.message}); tasks rewound to the last commit\n`);
    await this.rewindTasks();
  }

  /**
   * After an aborted transaction: the tasks' state may hold uncommitted updates, so they are
   * closed and rebuilt from the (committed) changelog, and the input goes back to the committed offsets.
   */
  private async rewindTasks(): Promise<void> {
    this.pending = new Map();
    for (const t of this.tasks.values()) await t.close();
    this.tasks.clear();
    this.committedOffsets.clear();
    const assigned = this.consumer.assignment();
    const committed = await this.consumer.committed(assigned);
    for (const tp of assigned) {
      const c = committed.find((x) => x.topic === tp.topic && x.partition === tp.partition);
      if (c !== undefined && c.offset >= 0n) this.consumer.seek({ ...tp, offset: c.offset });
      else if (this.config.autoOffsetReset === 'latest') this.consumer.seekToEnd([tp]);
      else this.consumer.seekToBeginning([tp]);
    }
    this.dirty = false;
  }

  /** One step of the loop: the polled records through the tasks, then a commit when due. */
  private async process(batches: FetchedBatch[]): Promise<void> {
    await this.syncTasks();
    let processed = 0;
    const byTask = new Map<StreamTask, FetchedBatch[]>();
    for (const b of batches) {
      const st = this.plan.subtopologyOf.get(b.topic);
      const task = st === undefined ? undefined : this.tasks.get(`${st}_${b.partition}`);
      if (task === undefined) throw new Error(`no task for ${b.topic}-${b.partition}`);
      const list = byTask.get(task);
      if (list === undefined) byTask.set(task, [b]);
      else list.push(b);
      processed += b.messages.length;
    }
    for (const [task, list] of byTask) processInTimestampOrder(task, list);
    const now = Date.now();
    let punctuated = false;
    for (const t of this.tasks.values()) punctuated = t.punctuate('WALL_CLOCK_TIME', now) || punctuated;
    if (processed > 0 || punctuated) {
      this.dirty = true;
      await this.flushOutput();
    }
    const requested = [...this.tasks.values()].some((t) => t.commitRequested);
    // Not while the group rebalances (as Kafka Streams): the generation may move on under the
    // commit; the work commits in onRevoked if the group takes partitions away, or after.
    if (this.dirty && !this.consumer.rebalanceInProgress && (requested || processed === 0 || now - this.lastCommit >= this.config.commitIntervalMs)) await this.commit();
  }

  private async flushOutput(): Promise<void> {
    if (this.pending.size === 0) return;
    if (this.eos && this.producer.transactionState === 'READY') this.producer.beginTransaction();
    const batches = [...this.pending];
    this.pending = new Map();
    await Promise.all(batches.map(([topic, messages]) => this.producer.send({ topic, messages })));
  }

  /** Output is flushed; commit input positions, then checkpoint persistent stores. */
  private async commit(): Promise<void> {
    await this.flushOutput();
    for (const t of this.tasks.values()) t.flushStores();
    if (this.eos) {
      await this.commitTransaction();
      this.dirty = false;
      this.lastCommit = Date.now();
      for (const t of this.tasks.values()) t.commitRequested = false;
      return; // checkpoints only on a clean close: after a crash the stores are rebuilt from the changelog
    }
    await this.consumer.commitSync();
    this.dirty = false;
    this.lastCommit = Date.now();
    for (const t of this.tasks.values()) t.commitRequested = false;
    await this.writeCheckpoints([...this.tasks.values()]);
  }

  /** The input offsets the tasks moved since the last commit go in the transaction, which then commits. */
  private async commitTransaction(): Promise<void> {
    const offsets: Array<{ topic: string; partition: number; offset: bigint }> = [];
    for (const t of this.tasks.values()) {
      for (const [topic, offset] of t.nextOffsets) {
        const k = `${topic}\u0000${t.partition}`;
        if (this.committedOffsets.get(k) !== offset) offsets.push({ topic, partition: t.partition, offset });
      }
    }
    if (offsets.length > 0) {
      if (this.producer.transactionState === 'READY') this.producer.beginTransaction();
      await this.producer.sendOffsetsToTransaction(offsets, this.consumer.groupMetadata());
    }
    if (this.producer.transactionState === 'IN_TRANSACTION') await this.producer.commitTransaction();
    for (const o of offsets) this.committedOffsets.set(`${o.topic}\u0000${o.partition}`, o.offset);
  }

  /**
   * Persistent stores record the changelog offset they hold (and the task its stream time), so
   * a restart replays only the rest.
   */
  private async writeCheckpoints(tasks: StreamTask[]): Promise<void> {
    const wanted = tasks.flatMap((t) => [...t.stores.values()].filter((s) => s.persistent && s.loggingEnabled).map((s) => ({ t, s })));
    if (wanted.length === 0) return;
    const ends = await this.endOffsets(wanted.map(({ t, s }) => ({ topic: changelogTopic(this.config.applicationId, s.name), partition: t.partition })));
    const byTask = new Map<StreamTask, Checkpoint>();
    wanted.forEach(({ t, s }, i) => {
      let c = byTask.get(t);
      if (c === undefined) byTask.set(t, (c = { offsets: {}, streamTime: Number.isFinite(t.streamTime) ? t.streamTime : null }));
      c.offsets[s.name] = String(ends[i]!);
    });
    for (const [t, c] of byTask) writeFileSync(join(this.io.taskDir(t.id)!, '.checkpoint'), JSON.stringify(c));
  }

  /**
   * End offsets in query order (ListOffsets answers come grouped by leader); under exactly-once
   * the last stable offset, where a read_committed restoration ends.
   */
  private async endOffsets(tps: Array<{ topic: string; partition: number }>): Promise<bigint[]> {
    const answers = await this.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })), { isolationLevel: this.eos ? 'read_committed' : 'read_uncommitted' });
    return tps.map((tp) => answers.find((a) => a.topic === tp.topic && a.partition === tp.partition)!.offset);
  }

  /** Closes tasks whose partitions left, creates (and restores) tasks for new ones. */
  private async syncTasks(): Promise<void> {
    const wanted = new Map<string, { st: number; p: number }>();
    for (const tp of this.consumer.assignment()) {
      const st = this.plan.subtopologyOf.get(tp.topic);
      if (st !== undefined) wanted.set(`${st}_${tp.partition}`, { st, p: tp.partition });
    }
    for (const [id, task] of this.tasks) {
      if (wanted.has(id) && (!this.revoked.has(id) || (await this.resumesWhereItStopped(task)))) continue;
      this.tasks.delete(id);
      await task.close();
    }
    this.revoked.clear();
    for (const [id, { st, p }] of wanted) {
      if (this.tasks.has(id)) continue;
      const task = new StreamTask(this.subtopologies[st]!, p, this.topology, this.io);
      task.createStores();
      await this.restore(task);
      task.initProcessors();
      this.tasks.set(id, task);
    }
    if (!this.stopping && this.joined && this.state === 'REBALANCING') this.setState('RUNNING');
  }

  /**
   * A task revoked and assigned back is kept only if the group's committed offsets are where
   * it stopped; otherwise (lost, a failed commit, another owner meanwhile) its state is ahead
   * of or behind the input, and it is rebuilt from the changelog.
   */
  private async resumesWhereItStopped(task: StreamTask): Promise<boolean> {
    for (const [topic, next] of task.nextOffsets) {
      if ((await this.consumer.position({ topic, partition: task.partition })) !== next) return false;
    }
    return true;
  }

  /** Replays each logged store's changelog partition (from its checkpoint, for persistent stores). */
  private async restore(task: StreamTask): Promise<void> {
    const stores = [...task.stores.values()].filter((s) => s.loggingEnabled);
    if (stores.length === 0) return;
    const dir = this.io.taskDir(task.id)!;
    mkdirSync(dir, { recursive: true });
    let saved: Checkpoint = { offsets: {}, streamTime: null };
    try {
      saved = JSON.parse(readFileSync(join(dir, '.checkpoint'), 'utf8')) as Checkpoint;
    } catch {
      // none yet, or torn: restore from the beginning
    }
    const checkpoint = saved.offsets;
    rmSync(join(dir, '.checkpoint'), { force: true }); // valid again only after the next commit
    const topicOf = (s: StateStore): string => changelogTopic(this.config.applicationId, s.name);
    const ends = await this.endOffsets(stores.map((s) => ({ topic: topicOf(s), partition: task.partition })));
    const work: Array<{ store: StateStore; topic: string; end: bigint }> = [];
    const assignment: Array<{ topic: string; partition: number }> = [];
    stores.forEach((s, i) => {
      const end = ends[i]!;
      const from = s.persistent && checkpoint[s.name] !== undefined ? BigInt(checkpoint[s.name]!) : null;
      if (from === null) s.wipe();
      if (from !== null && from >= end) return;
      work.push({ store: s, topic: topicOf(s), end });
      assignment.push({ topic: topicOf(s), partition: task.partition });
    });
    // stream time comes back with the state: the checkpoint's, and the changelog's record times
    if (saved.streamTime !== null && saved.streamTime > task.streamTime) task.streamTime = saved.streamTime;
    if (work.length === 0) return;
    this.restoreConsumer.assign(assignment);
    for (const w of work) {
      const from = w.store.persistent ? checkpoint[w.store.name] : undefined;
      if (from !== undefined) this.restoreConsumer.seek({ topic: w.topic, partition: task.partition, offset: BigInt(from) });
      else this.restoreConsumer.seekToBeginning([{ topic: w.topic, partition: task.partition }]);
    }
    const left = new Set(work);
    while (left.size > 0) {
      for (const w of [...left]) if ((await this.restoreConsumer.position({ topic: w.topic, partition: task.partition })) >= w.end) left.delete(w);
      if (left.size === 0 || this.stopping) break;
      for (const b of await this.restoreConsumer.poll(500)) {
        const w = work.find((x) => x.topic === b.topic)!;
        for (const m of b.messages) {
          if (m.offset >= w.end || m.key === null) continue;
          w.store.restore(m.key, m.value);
          if (Number(m.timestamp) > task.streamTime) task.streamTime = Number(m.timestamp);
        }
      }
    }
    for (const s of stores) s.flush();
  }

  /** Deletes this application's local state (state.dir/<application.id>); only before start or after close. */
  cleanUp(): void {
    if (this.state !== 'CREATED' && this.state !== 'NOT_RUNNING' && this.state !== 'ERROR') throw new Error('Cannot clean up while running.');
    rmSync(join(this.config.stateDir, this.config.applicationId), { recursive: true, force: true });
  }

  /** The tasks this instance runs now ("<subtopology>_<partition>"). */
  localTasks(): string[] {
    return [...this.tasks.keys()].sort();
  }

  /**
   * Interactive queries: read access to a store across this instance's tasks (get/all/range for
   * key-value stores, fetch/fetchRange/fetchAll for window stores, findSessions for sessions).
   */
  store<K = unknown, V = unknown>(name: string): ReadOnlyStore<K, V> {
    if (!this.topology.storeBuilders.has(name)) throw new Error(`Cannot get state store ${name} because no such store is registered in the topology.`);
    if (this.state !== 'RUNNING' && this.state !== 'REBALANCING') throw new Error(`KafkaStreams is not running. State is ${this.state}.`);
    return new ReadOnlyStore<K, V>(name, [...this.tasks.values()].flatMap((t) => (t.stores.has(name) ? [t.stores.get(name)!] : [])));
  }

  private async closeClients(): Promise<void> {
    await Promise.allSettled([this.consumer?.close(), this.restoreConsumer?.close(), this.producer?.close(), this.admin?.close()]);
  }

  /** Stops processing, commits, closes tasks and leaves the group. */
  async close(): Promise<void> {
    if (this.state === 'NOT_RUNNING') return;
    const failed = this.state === 'ERROR';
    this.setState('PENDING_SHUTDOWN');
    this.stopping = true;
    if (this.loop !== null) await this.loop;
    if (!failed && this.consumer !== undefined) {
      await this.serially(async () => {
        try {
          if (this.revocationFailure === null) {
            await this.commit();
            if (this.eos) await this.writeCheckpoints([...this.tasks.values()]);
          } else if (this.producer.transactionState !== 'READY' && this.producer.transactionState !== 'FATAL_ERROR') {
            await this.producer.abortTransaction(); // the work since the last commit is no longer this member's
          }
        } finally {
          for (const t of this.tasks.values()) await t.close();
          this.tasks.clear();
        }
      });
    }
    await this.closeClients();
    this.setState('NOT_RUNNING');
  }
}

/**
 * A task with several source partitions takes, among what was fetched, the record with the
 * lowest timestamp next (as Kafka's partition group does), so a join sees both sides in time order.
 */
function processInTimestampOrder(task: StreamTask, batches: FetchedBatch[]): void {
  if (batches.length === 1) {
    for (const m of batches[0]!.messages) task.process(m.topic, m.offset, m.key, m.value, Number(m.timestamp), m.headers);
    return;
  }
  const next = batches.map(() => 0);
  for (;;) {
    let pick = -1;
    for (let i = 0; i < batches.length; i++) {
      const m = batches[i]!.messages[next[i]!];
      if (m !== undefined && (pick < 0 || m.timestamp < batches[pick]!.messages[next[pick]!]!.timestamp)) pick = i;
    }
    if (pick < 0) return;
    const m = batches[pick]!.messages[next[pick]!++]!;
    task.process(m.topic, m.offset, m.key, m.value, Number(m.timestamp), m.headers);
  }
}
