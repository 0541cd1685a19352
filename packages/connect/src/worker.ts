/**
 * The worker: runs connector instances and tasks. A source task loops poll → transform →
 * convert → produce, and records a source partition's offset only after Kafka acknowledged
 * the record; offsets are written to the offset store every offset.flush.interval.ms and on a
 * clean stop. A sink task is a consumer in group `connect-<connector>` (auto commit off): poll →
 * convert → transform → put, and commits consumed offsets after the task's flush(), at the same
 * interval. Both are at-least-once: after a crash, records since the last offset commit are
 * produced (source) or put (sink) again.
 */
import { Admin, Consumer, type ConsumedMessage, type Message, type Producer } from '@samsa/client';
import type { ConnectorContext, Connector, SinkConnector, SinkTask, SinkTaskContext, SourceConnector, SourceTask, TopicPartition } from './api.js';
import { buildConverters, buildTransformationChain } from './connector-config.js';
import type { Converter, HeaderConverter } from './converters.js';
import type { ConnectHeader, SinkRecord, SourceRecord } from './data.js';
import type { OffsetStore } from './offsets.js';
import type { Plugins } from './plugins.js';
import { parseList, type TransformationChain } from './transforms.js';
import type { WorkerConfig } from './worker-config.js';

export type TargetState = 'STARTED' | 'PAUSED' | 'STOPPED';
export type State = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'RESTARTING' | 'STOPPED';

export interface TaskId {
  connector: string;
  task: number;
}

export const taskKey = (id: TaskId): string => `${id.connector}-${id.task}`;

/** Where the worker reports state changes (the herder's status store). */
export interface StatusListener {
  connectorState(name: string, state: State, trace: string | null): void;
  taskState(id: TaskId, state: State, trace: string | null): void;
}

export interface ConnectorCallbacks {
  requestTaskReconfiguration(name: string): void;
}

function trace(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/** errors.tolerance and the dead letter queue (RetryWithToleranceOperator + DeadLetterQueueReporter). */
class ErrorHandler {
  readonly tolerateAll: boolean;
  private readonly dlqTopic: string;
  private readonly contextHeaders: boolean;
  private readonly logErrors: boolean;

  constructor(props: Record<string, string>, private readonly producer: Producer, private readonly id: TaskId) {
    this.tolerateAll = (props['errors.tolerance'] ?? 'none').trim().toLowerCase() === 'all';
    this.dlqTopic = props['errors.deadletterqueue.topic.name']?.trim() ?? '';
    this.contextHeaders = (props['errors.deadletterqueue.context.headers.enable'] ?? 'false').toLowerCase() === 'true';
    this.logErrors = (props['errors.log.enable'] ?? 'false').toLowerCase() === 'true';
  }

  /** Runs one stage; a failure is thrown (tolerance none) or reported and answered with `skip`. */
  async run<X>(stage: string, className: string, fn: () => X, original: ConsumedMessage | null): Promise<X | typeof SKIP> {
    try {
      return fn();
    } catch (err) {
      if (!this.tolerateAll) throw err;
      if (this.logErrors) console.error(`Error encountered in task ${taskKey(this.id)}. Executing stage '${stage}' with class '${className}': ${(err as Error).message}`);
      if (original !== null && this.dlqTopic !== '') await this.sendToDlq(stage, className, err as Error, original);
      return SKIP;
    }
  }

  private async sendToDlq(stage: string, className: string, err: Error, m: ConsumedMessage): Promise<void> {
    const headers: Array<{ key: string; value: Buffer | string | null }> = m.headers.map((h) => ({ key: h.key, value: h.value }));
    if (this.contextHeaders) {
      const p = '__connect.errors.';
      headers.push(
        { key: `${p}topic`, value: m.topic },
        { key: `${p}partition`, value: String(m.partition) },
        { key: `${p}offset`, value: String(m.offset) },
        { key: `${p}connector.name`, value: this.id.connector },
        { key: `${p}task.id`, value: String(this.id.task) },
        { key: `${p}stage`, value: stage },
        { key: `${p}class.name`, value: className },
        { key: `${p}exception.class.name`, value: err.name },
        { key: `${p}exception.message`, value: err.message },
        { key: `${p}exception.stacktrace`, value: trace(err) },
      );
    }
    await this.producer.send({ topic: this.dlqTopic, messages: [{ key: m.key, value: m.value, headers, timestamp: m.timestamp }] });
  }
}

const SKIP = Symbol('skip');
/** Poll batches a source task may have unacknowledged before it waits. */
const MAX_POLLS_IN_FLIGHT = 8;

abstract class WorkerTask {
  state: State = 'UNASSIGNED';
  protected stopping = false;
  protected paused = false;
  private resumeWaiter: (() => void) | null = null;
  protected loop: Promise<void> | null = null;
  protected lastCommit = Date.now();
  protected chain!: TransformationChain;
  protected converters!: { key: Converter; value: Converter; header: HeaderConverter };
  protected errors!: ErrorHandler;

  constructor(
    readonly id: TaskId,
    protected readonly worker: Worker,
    protected readonly connectorProps: Record<string, string>,
    protected readonly taskProps: Record<string, string>,
    initial: TargetState,
  ) {
    this.paused = initial === 'PAUSED';
  }

  protected report(state: State, err: unknown = null): void {
    this.state = state;
    this.worker.status.taskState(this.id, state, err === null ? null : trace(err));
  }

  start(): void {
    this.loop = (async () => {
      try {
        const w = this.worker;
        this.chain = buildTransformationChain(w.plugins, this.connectorProps);
        this.converters = buildConverters(w.plugins, w.config, this.connectorProps);
        this.errors = new ErrorHandler(this.connectorProps, w.producer, this.id);
        await this.initialize();
        this.report(this.paused ? 'PAUSED' : 'RUNNING');
        await this.execute();
      } catch (err) {
        if (this.stopping) return;
        console.error(`WorkerTask{id=${taskKey(this.id)}} Task threw an uncaught and unrecoverable exception: ${trace(err)}`);
        this.report('FAILED', err);
        await this.closeResources().catch(() => {});
      }
    })();
  }

  protected abstract initialize(): Promise<void>;
  protected abstract execute(): Promise<void>;
  protected abstract closeResources(): Promise<void>;

  protected waitWhilePaused(): Promise<void> {
    if (!this.paused || this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      this.resumeWaiter = resolve;
    });
  }

  setTargetState(t: TargetState): void {
    if (this.state === 'FAILED') return;
    const pause = t !== 'STARTED';
    if (pause === this.paused) return;
    this.paused = pause;
    this.onPauseChange();
    if (!pause) {
      this.resumeWaiter?.();
      this.resumeWaiter = null;
    }
    this.report(pause ? 'PAUSED' : 'RUNNING');
  }

  protected onPauseChange(): void {}

  async stop(): Promise<void> {
    this.stopping = true;
    this.resumeWaiter?.();
    await this.wakeForStop();
    await this.loop;
  }

  protected abstract wakeForStop(): Promise<void>;
}

class WorkerSourceTask extends WorkerTask {
  private task: SourceTask | null = null;
  /** Acknowledged but not yet committed offsets, by source partition key. */
  private readonly pendingOffsets = new Map<string, { partition: Record<string, unknown>; offset: Record<string, unknown> }>();
  private className = '';
  /** Settles once every record sent so far is acknowledged (and its offset recorded). */
  private acked: Promise<void> = Promise.resolve();
  private readonly inFlight: Array<Promise<void>> = [];
  private sendFailure: Error | null = null;

  constructor(id: TaskId, worker: Worker, connectorProps: Record<string, string>, taskProps: Record<string, string>, initial: TargetState, private readonly TaskClass: new () => SourceTask) {
    super(id, worker, connectorProps, taskProps, initial);
  }

  protected async initialize(): Promise<void> {
    const w = this.worker;
    this.task = new this.TaskClass();
    this.className = this.task.constructor.name;
    const connector = this.id.connector;
    this.task.context = {
      configs: () => this.taskProps,
      offsetStorageReader: { offset: (partition) => w.offsets.get(connector, partition) },
    };
    await w.offsets.refresh?.();
    await this.task.start(this.taskProps);
  }

  protected async execute(): Promise<void> {
    const task = this.task!;
    const flushMs = this.worker.config.offsetFlushIntervalMs;
    while (!this.stopping) {
      if (this.sendFailure !== null) throw this.sendFailure;
      if (this.paused) {
        await this.drainSends();
        await this.commitOffsets();
        await this.waitWhilePaused();
        continue;
      }
      const records = await task.poll();
      if (this.stopping) break;
      if (records !== null && records.length > 0) await this.sendRecords(records);
      if (Date.now() - this.lastCommit >= flushMs) await this.commitOffsets();
    }
    await this.drainSends();
    await this.commitOffsets();
    await this.closeResources();
  }

  private async drainSends(): Promise<void> {
    await this.acked;
    this.inFlight.length = 0;
    if (this.sendFailure !== null) throw this.sendFailure;
  }

  private async sendRecords(records: SourceRecord[]): Promise<void> {
    const { key: keyConv, value: valueConv, header: headerConv } = this.converters;
    const byTopic = new Map<string, { messages: Message[]; sources: SourceRecord[] }>();
    const dropped: SourceRecord[] = [];
    for (const r of records) {
      const t = await this.errors.run('TRANSFORMATION', this.className, () => this.chain.apply(r), null);
      if (t === SKIP || t === null) {
        dropped.push(r);
        continue;
      }
      const key = await this.errors.run('KEY_CONVERTER', keyConv.constructor.name, () => keyConv.fromConnectData(t.topic, t.keySchema, t.key), null);
      const value = key === SKIP ? SKIP : await this.errors.run('VALUE_CONVERTER', valueConv.constructor.name, () => valueConv.fromConnectData(t.topic, t.valueSchema, t.value), null);
      if (key === SKIP || value === SKIP) {
        dropped.push(r);
        continue;
      }
      const msg: Message = { key, value };
      if (t.headers.length > 0) msg.headers = t.headers.map((h) => ({ key: h.key, value: headerConv.fromConnectHeader(t.topic, h.key, h.schema, h.value) }));
      if (t.kafkaPartition !== null) msg.partition = t.kafkaPartition;
      if (t.timestamp !== null) msg.timestamp = t.timestamp;
      let g = byTopic.get(t.topic);
      if (g === undefined) byTopic.set(t.topic, (g = { messages: [], sources: [] }));
      g.messages.push(msg);
      g.sources.push(r);
    }
    // The next poll goes on while this one's records are in flight (as Kafka's WorkerSourceTask);
    // acknowledgements are applied in poll order, so an offset is recorded only once every
    // record before it is in Kafka too.
    const sending = Promise.all([...byTopic].map(async ([topic, g]) => ({ g, meta: await this.worker.producer.send({ topic, messages: g.messages }) })));
    const previous = this.acked;
    this.acked = (async () => {
      const sent = await sending;
      await previous;
      const seen = new Set<string>();
      // the last record of each source partition carries its offset (records usually share one partition object)
      let lastPartition: Record<string, unknown> | null = null;
      for (let i = records.length - 1; i >= 0; i--) {
        const r = records[i]!;
        if (r.sourcePartition === lastPartition) continue;
        lastPartition = r.sourcePartition;
        const key = JSON.stringify(r.sourcePartition);
        if (!seen.has(key)) {
          seen.add(key);
          this.pendingOffsets.set(key, { partition: r.sourcePartition, offset: r.sourceOffset });
        }
      }
      for (const r of dropped) this.task!.commitRecord(r, null);
      for (const { g, meta } of sent) g.sources.forEach((r, i) => this.task!.commitRecord(r, { topic: meta[i]!.topic, partition: meta[i]!.partition, offset: Number(meta[i]!.offset) }));
    })();
    this.acked.catch((err: Error) => {
      this.sendFailure ??= err;
    });
    this.inFlight.push(this.acked);
    if (this.inFlight.length > MAX_POLLS_IN_FLIGHT) await this.inFlight.shift()!.catch(() => {});
  }

  private async commitOffsets(): Promise<void> {
    this.lastCommit = Date.now();
    if (this.pendingOffsets.size === 0) return;
    const entries = [...this.pendingOffsets.values()].map((e) => ({ connector: this.id.connector, partition: e.partition, offset: e.offset }));
    this.pendingOffsets.clear();
    await this.worker.offsets.set(entries);
    await this.task!.commit();
  }

  protected async wakeForStop(): Promise<void> {
    // stop() is how Kafka interrupts a blocked poll()
    await this.task?.stop();
  }

  protected async closeResources(): Promise<void> {
    this.chain.close();
  }
}

class WorkerSinkTask extends WorkerTask {
  private task: SinkTask | null = null;
  private consumer: Consumer | null = null;
  /** Next offset to commit per partition (past everything put). */
  private readonly current = new Map<string, { topic: string; partition: number; offset: number }>();
  private commitRequested = false;
  private regexTimer: NodeJS.Timeout | null = null;

  constructor(id: TaskId, worker: Worker, connectorProps: Record<string, string>, taskProps: Record<string, string>, initial: TargetState, private readonly TaskClass: new () => SinkTask) {
    super(id, worker, connectorProps, taskProps, initial);
  }

  protected async initialize(): Promise<void> {
    const w = this.worker;
    await this.ensureDlqTopic();
    const consumer = new Consumer({
      autoOffsetReset: 'earliest',
      ...w.config.consumer,
      groupId: `connect-${this.id.connector}`,
      clientId: `connector-consumer-${this.id.connector}-${this.id.task}`,
      enableAutoCommit: false,
    });
    this.consumer = consumer;
    const task = new this.TaskClass();
    this.task = task;
    const context: SinkTaskContext = {
      configs: () => this.taskProps,
      offset: (tp, offset) => consumer.seek({ ...tp, offset }),
      pause: (tps) => consumer.pause(tps),
      resume: (tps) => consumer.resume(tps),
      assignment: () => consumer.assignment(),
      requestCommit: () => {
        this.commitRequested = true;
      },
    };
    task.context = context;
    consumer.onAssigned = (tps) => {
      const list = flatten(tps);
      if (this.paused) consumer.pause(list);
      void Promise.resolve(task.open(list)).catch(() => {});
    };
    consumer.onRevoked = (tps) => {
      const list = flatten(tps);
      for (const tp of list) this.current.delete(`${tp.topic}\u0000${tp.partition}`);
      void Promise.resolve(task.close(list)).catch(() => {});
    };
    await task.start(this.taskProps);
    const regex = this.connectorProps['topics.regex'] ?? '';
    if (regex !== '') {
      const re = new RegExp(`^(?:${regex})$`);
      const admin = w.admin;
      const subscribed = new Set<string>();
      const refresh = async (): Promise<void> => {
        const fresh = (await admin.listTopics()).filter((t) => re.test(t) && !subscribed.has(t));
        for (const t of fresh) subscribed.add(t);
        if (fresh.length > 0) consumer.subscribe(fresh);
      };
      await refresh();
      this.regexTimer = setInterval(() => void refresh().catch(() => {}), 5000);
      this.regexTimer.unref();
    } else {
      consumer.subscribe(parseList(this.connectorProps.topics));
    }
  }

  private async ensureDlqTopic(): Promise<void> {
    const dlq = this.connectorProps['errors.deadletterqueue.topic.name']?.trim() ?? '';
    if (dlq === '') return;
    const rf = Number(this.connectorProps['errors.deadletterqueue.topic.replication.factor'] ?? 3);
    try {
      await this.worker.admin.createTopics({ topics: [{ topic: dlq, numPartitions: 1, replicationFactor: rf }] });
    } catch (err) {
      if ((err as { code?: number }).code !== 36) throw err;
    }
  }

  protected override onPauseChange(): void {
    const c = this.consumer;
    if (c === null) return;
    if (this.paused) c.pause(c.assignment());
    else c.resume(c.assignment());
  }

  protected async execute(): Promise<void> {
    const consumer = this.consumer!;
    const flushMs = this.worker.config.offsetFlushIntervalMs;
    while (!this.stopping) {
      const batches = await consumer.poll(500);
      if (this.stopping) break;
      const records: SinkRecord[] = [];
      for (const b of batches) {
        for (const m of b.messages) {
          const r = await this.toSinkRecord(m);
          if (r !== null) records.push(r);
        }
      }
      if (records.length > 0) await this.putWithRetries(records);
      for (const b of batches) {
        const last = b.messages[b.messages.length - 1];
        if (last !== undefined) this.current.set(`${b.topic}\u0000${b.partition}`, { topic: b.topic, partition: b.partition, offset: Number(last.offset) + 1 });
      }
      if (this.commitRequested || Date.now() - this.lastCommit >= flushMs) await this.commitOffsets();
    }
    await this.commitOffsets().catch(() => {});
    await this.closeResources();
  }

  /** put(); a RetriableException hands the same records to put() again after a backoff, as Kafka does. */
  private async putWithRetries(records: SinkRecord[]): Promise<void> {
    for (let backoff = 100; ; backoff = Math.min(backoff * 2, 10000)) {
      try {
        await this.task!.put(records);
        return;
      } catch (err) {
        if (!(err instanceof Error && err.name === 'RetriableException') || this.stopping) throw err;
        console.error(`WorkerSinkTask{id=${taskKey(this.id)}} RetriableException from SinkTask: ${err.message}; retrying in ${backoff} ms`);
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
  }

  private async toSinkRecord(m: ConsumedMessage): Promise<SinkRecord | null> {
    const { key: keyConv, value: valueConv, header: headerConv } = this.converters;
    const key = await this.errors.run('KEY_CONVERTER', keyConv.constructor.name, () => keyConv.toConnectData(m.topic, m.key), m);
    if (key === SKIP) return null;
    const value = await this.errors.run('VALUE_CONVERTER', valueConv.constructor.name, () => valueConv.toConnectData(m.topic, m.value), m);
    if (value === SKIP) return null;
    const headers: ConnectHeader[] = m.headers.map((h) => {
      const sv = headerConv.toConnectHeader(m.topic, h.key, h.value);
      return { key: h.key, schema: sv.schema, value: sv.value };
    });
    const record: SinkRecord = {
      topic: m.topic,
      kafkaPartition: m.partition,
      kafkaOffset: Number(m.offset),
      keySchema: key.schema,
      key: key.value,
      valueSchema: value.schema,
      value: value.value,
      timestamp: m.timestamp < 0n ? null : Number(m.timestamp),
      timestampType: m.timestampType === 1 ? 'LogAppendTime' : m.timestampType === 0 ? 'CreateTime' : 'NoTimestampType',
      headers,
    };
    const t = await this.errors.run('TRANSFORMATION', this.chain.stages.map((s) => s.transformation.constructor.name).join(','), () => this.chain.apply(record), m);
    return t === SKIP ? null : t;
  }

  private async commitOffsets(): Promise<void> {
    this.lastCommit = Date.now();
    this.commitRequested = false;
    if (this.current.size === 0) return;
    const snapshot = new Map([...this.current].map(([k, v]) => [k, { ...v }]));
    await this.task!.flush(snapshot);
    await this.consumer!.commitSync([...snapshot.values()].map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
  }

  protected async wakeForStop(): Promise<void> {
    this.consumer?.stop();
  }

  protected async closeResources(): Promise<void> {
    if (this.regexTimer !== null) clearInterval(this.regexTimer);
    await Promise.resolve(this.task?.stop()).catch(() => {});
    await this.consumer?.close().catch(() => {});
    this.chain.close();
  }
}

function flatten(tps: Map<string, number[]>): TopicPartition[] {
  return [...tps].flatMap(([topic, ps]) => ps.map((partition) => ({ topic, partition })));
}

interface RunningConnector {
  connector: Connector;
  props: Record<string, string>;
  state: State;
}

export class Worker {
  private readonly connectors = new Map<string, RunningConnector>();
  private readonly tasks = new Map<string, WorkerTask>();

  constructor(
    readonly config: WorkerConfig,
    readonly plugins: Plugins,
    readonly producer: Producer,
    readonly admin: Admin,
    readonly offsets: OffsetStore & { refresh?: () => Promise<void> },
    readonly status: StatusListener,
    private readonly callbacks: ConnectorCallbacks,
  ) {}

  connectorNames(): string[] {
    return [...this.connectors.keys()];
  }

  taskIds(): TaskId[] {
    return [...this.tasks.values()].map((t) => t.id);
  }

  isRunning(name: string): boolean {
    return this.connectors.has(name);
  }

  ownsTask(id: TaskId): boolean {
    return this.tasks.has(taskKey(id));
  }

  /** Starts a connector instance; false (and FAILED status) if it could not start. */
  async startConnector(name: string, props: Record<string, string>, target: TargetState): Promise<boolean> {
    if (this.connectors.has(name)) await this.stopConnector(name);
    try {
      const connector = (await this.plugins.connectorFactory(props['connector.class'] ?? '')).create();
      const context: ConnectorContext = {
        requestTaskReconfiguration: () => this.callbacks.requestTaskReconfiguration(name),
        raiseError: (err) => {
          const rc = this.connectors.get(name);
          if (rc !== undefined) rc.state = 'FAILED';
          this.status.connectorState(name, 'FAILED', trace(err));
        },
      };
      connector.context = context;
      await connector.start(props);
      const state: State = target === 'STARTED' ? 'RUNNING' : target === 'PAUSED' ? 'PAUSED' : 'STOPPED';
      this.connectors.set(name, { connector, props, state });
      this.status.connectorState(name, state, null);
      return true;
    } catch (err) {
      console.error(`Failed to start connector ${name}: ${trace(err)}`);
      this.status.connectorState(name, 'FAILED', trace(err));
      return false;
    }
  }

  /** The running connector's task configs (connector.taskConfigs(tasks.max)), with task.class as Kafka adds it. */
  connectorTaskConfigs(name: string): Array<Record<string, string>> | null {
    const rc = this.connectors.get(name);
    if (rc === undefined || rc.state === 'FAILED') return null;
    const maxTasks = Number(rc.props['tasks.max'] ?? 1);
    try {
      const configs = rc.connector.taskConfigs(maxTasks);
      const taskClass = (rc.connector as SourceConnector | SinkConnector).taskClass();
      return configs.slice(0, maxTasks).map((c) => ({ ...c, 'task.class': taskClass.name }));
    } catch (err) {
      rc.state = 'FAILED';
      this.status.connectorState(name, 'FAILED', trace(err));
      return null;
    }
  }

  async stopConnector(name: string): Promise<void> {
    const rc = this.connectors.get(name);
    if (rc === undefined) return;
    this.connectors.delete(name);
    try {
      await rc.connector.stop();
    } catch (err) {
      console.error(`Error stopping connector ${name}: ${trace(err)}`);
    }
  }

  async startTask(id: TaskId, connectorProps: Record<string, string>, taskProps: Record<string, string>, target: TargetState): Promise<void> {
    const key = taskKey(id);
    if (this.tasks.has(key)) await this.stopTask(id);
    try {
      const connector = (await this.plugins.connectorFactory(connectorProps['connector.class'] ?? '')).create();
      let wt: WorkerTask;
      if (connector.type === 'source') wt = new WorkerSourceTask(id, this, connectorProps, taskProps, target, (connector as SourceConnector).taskClass());
      else wt = new WorkerSinkTask(id, this, connectorProps, taskProps, target, (connector as SinkConnector).taskClass());
      this.tasks.set(key, wt);
      wt.start();
    } catch (err) {
      this.status.taskState(id, 'FAILED', trace(err));
    }
  }

  async stopTask(id: TaskId): Promise<void> {
    const key = taskKey(id);
    const t = this.tasks.get(key);
    if (t === undefined) return;
    this.tasks.delete(key);
    await t.stop();
  }

  setTargetState(name: string, target: TargetState): void {
    const rc = this.connectors.get(name);
    if (rc !== undefined && rc.state !== 'FAILED') {
      rc.state = target === 'STARTED' ? 'RUNNING' : target === 'PAUSED' ? 'PAUSED' : 'STOPPED';
      this.status.connectorState(name, rc.state, null);
    }
    for (const t of this.tasks.values()) if (t.id.connector === name) t.setTargetState(target);
  }

  taskState(id: TaskId): State | undefined {
    return this.tasks.get(taskKey(id))?.state;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((t) => this.stopTask(t.id)));
    await Promise.all([...this.connectors.keys()].map((n) => this.stopConnector(n)));
  }
}

