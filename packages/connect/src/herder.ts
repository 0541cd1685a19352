/**
 * The herder: what the REST API talks to. It holds the cluster's connector and task configs,
 * target states and statuses, and tells the local Worker what to run. StandaloneHerder keeps
 * everything in this process; DistributedHerder (distributed.ts) keeps it in Kafka topics.
 */
import { Admin, Producer } from '@samsa/client';
import { ConfigException } from './api.js';
import { type ConfigInfos, invalidConfigMessage, validateConnectorConfig } from './connector-config.js';
import type { OffsetStore } from './offsets.js';
import type { Plugins } from './plugins.js';
import { sinkGroupId, type State, type StatusListener, type TargetState, type TaskId, taskKey, Worker } from './worker.js';
import { disallowedClientOverrides, type WorkerConfig } from './worker-config.js';

/** An error the REST API answers with `status` and Kafka's {error_code, message}. */
export class ConnectRestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * A config write reached a worker that is not the group's leader (Kafka's NotLeaderException);
 * the REST layer forwards the request to `leaderUrl`.
 */
export class NotLeaderError extends ConnectRestError {
  constructor(message: string, readonly leaderUrl: string | null) {
    super(409, message);
  }
}

export const notFound = (name: string): ConnectRestError => new ConnectRestError(404, `Connector ${name} not found`);

export interface Status {
  state: State;
  trace: string | null;
  worker_id: string;
  generation: number;
}

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: TaskId[];
  type: 'source' | 'sink' | 'unknown';
}

export interface ConnectorStateInfo {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: Array<{ id: number; state: string; worker_id: string; trace?: string }>;
  type: string;
}

/** Connector configs, committed task configs and target states (ClusterConfigState). */
export class ConfigState {
  readonly connectorConfigs = new Map<string, Record<string, string>>();
  readonly taskConfigs = new Map<string, Array<Record<string, string>>>();
  readonly targetStates = new Map<string, TargetState>();
  /** Offset of the last config-topic record applied (-1: none). */
  offset = -1;

  tasksOf(name: string): TaskId[] {
    return (this.taskConfigs.get(name) ?? []).map((_, task) => ({ connector: name, task }));
  }

  targetState(name: string): TargetState {
    return this.targetStates.get(name) ?? 'STARTED';
  }
}

export class StatusStore implements StatusListener {
  readonly connectors = new Map<string, Status>();
  readonly tasks = new Map<string, Status>();
  generation = 0;

  constructor(public workerId: string) {}

  /** Persists a status (distributed: to the status topic); the base keeps it in memory. */
  protected write(key: string, status: Status | null): void {
    void key;
    void status;
  }

  connectorState(name: string, state: State, trace: string | null): void {
    const s: Status = { state, trace, worker_id: this.workerId, generation: this.generation };
    this.connectors.set(name, s);
    this.write(`status-connector-${name}`, s);
  }

  taskState(id: TaskId, state: State, trace: string | null): void {
    const s: Status = { state, trace, worker_id: this.workerId, generation: this.generation };
    this.tasks.set(taskKey(id), s);
    this.write(`status-task-${taskKey(id)}`, s);
  }

  /** connector → topic → when a task first used it (KIP-558); `topic.tracking.enable` turns recording off. */
  readonly topics = new Map<string, Map<string, { name: string; connector: string; task: number; discoverTimestamp: number }>>();
  trackTopics = true;

  topicActive(connector: string, topic: string, task: number): void {
    if (!this.trackTopics || this.topics.get(connector)?.has(topic) === true) return;
    const t = { name: topic, connector, task, discoverTimestamp: Date.now() };
    this.applyTopic(t);
    this.writeTopic(`topic-${topic}-connector-${connector}`, t);
  }

  protected applyTopic(t: { name: string; connector: string; task: number; discoverTimestamp: number }): void {
    let m = this.topics.get(t.connector);
    if (m === undefined) this.topics.set(t.connector, (m = new Map()));
    m.set(t.name, t);
  }

  resetTopics(connector: string): void {
    for (const topic of this.topics.get(connector)?.keys() ?? []) this.writeTopic(`topic-${topic}-connector-${connector}`, null);
    this.topics.delete(connector);
  }

  /** Persists an active-topic record {"topic":{...}} (distributed: to the status topic). */
  protected writeTopic(key: string, topic: object | null): void {
    void key;
    void topic;
  }

  forget(name: string, tasks: TaskId[]): void {
    this.resetTopics(name);
    this.connectors.delete(name);
    this.write(`status-connector-${name}`, null);
    for (const t of tasks) {
      this.tasks.delete(taskKey(t));
      this.write(`status-task-${taskKey(t)}`, null);
    }
  }
}

export abstract class Herder {
  readonly configState = new ConfigState();
  worker!: Worker;
  admin!: Admin;
  producer!: Producer;
  kafkaClusterId: string | null = null;
  /** The worker's REST URL, set once the listener is bound. */
  restUrl = '';

  constructor(readonly config: WorkerConfig, readonly plugins: Plugins, readonly status: StatusStore) {
    status.trackTopics = config.topicTrackingEnable;
  }

  get workerId(): string {
    return this.status.workerId;
  }

  /** Creates the clients and the worker; subclasses then load their state. */
  protected async startClients(offsets: OffsetStore & { refresh?: () => Promise<void> }): Promise<void> {
    this.offsetStore = offsets;
    this.admin = new Admin({ ...this.config.consumer });
    this.producer = new Producer({ ...this.config.producer });
    await this.admin.connect();
    this.kafkaClusterId = (await this.admin.describeCluster()).clusterId;
    this.worker = new Worker(this.config, this.plugins, this.producer, this.admin, offsets, this.status, {
      requestTaskReconfiguration: (name) => void this.reconfigureTasks(name).catch((err: Error) => console.error(`Task reconfiguration of ${name} failed: ${err.message}`)),
    });
  }

  private offsetStore: (OffsetStore & { refresh?: () => Promise<void> }) | null = null;

  /**
   * GET /connectors/{name}/offsets (KIP-875): a source connector's offsets from the offset store;
   * a sink connector's from its consumer group's committed offsets, as
   * {"kafka_topic","kafka_partition"} → {"kafka_offset"}.
   */
  async connectorOffsets(name: string): Promise<{ offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }> }> {
    if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
    if (this.connectorType(name) === 'sink') {
      const committed = await this.admin.listConsumerGroupOffsets(sinkGroupId(name, this.configState.connectorConfigs.get(name)!));
      return { offsets: committed.filter((c) => c.offset >= 0n).map((c) => ({ partition: { kafka_topic: c.topic, kafka_partition: c.partition }, offset: { kafka_offset: Number(c.offset) } })) };
    }
    await this.offsetStore?.refresh?.();
    return { offsets: this.offsetStore?.entriesOf(name) ?? [] };
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract putConnectorConfig(name: string, config: Record<string, string>, allowReplace: boolean): Promise<{ created: boolean; info: ConnectorInfo }>;
  abstract deleteConnector(name: string): Promise<void>;
  abstract setTargetState(name: string, target: TargetState): Promise<void>;
  abstract restartConnector(name: string): Promise<void>;
  abstract restartTask(id: TaskId): Promise<void>;
  protected abstract reconfigureTasks(name: string): Promise<void>;

  connectors(): string[] {
    return [...this.configState.connectorConfigs.keys()].sort();
  }

  connectorType(name: string): 'source' | 'sink' | 'unknown' {
    const cls = this.configState.connectorConfigs.get(name)?.['connector.class'];
    const entry = cls === undefined ? undefined : this.plugins.knownConnector(cls);
    if (entry === undefined) return 'unknown';
    try {
      return entry.create().type;
    } catch {
      return 'unknown';
    }
  }

  connectorConfig(name: string): Record<string, string> {
    const c = this.configState.connectorConfigs.get(name);
    if (c === undefined) throw notFound(name);
    return c;
  }

  connectorInfo(name: string): ConnectorInfo {
    return { name, config: this.connectorConfig(name), tasks: this.configState.tasksOf(name), type: this.connectorType(name) };
  }

  taskConfigs(name: string): Array<{ id: TaskId; config: Record<string, string> }> {
    this.connectorConfig(name);
    return (this.configState.taskConfigs.get(name) ?? []).map((config, task) => ({ id: { connector: name, task }, config }));
  }

  connectorStatus(name: string): ConnectorStateInfo {
    this.connectorConfig(name);
    const c = this.status.connectors.get(name);
    const withTrace = <X extends object>(x: X, s: Status | undefined): X => (s?.trace ? { ...x, trace: s.trace } : x);
    return {
      name,
      connector: withTrace({ state: c?.state ?? 'UNASSIGNED', worker_id: c?.worker_id ?? this.workerId }, c),
      tasks: this.configState.tasksOf(name).map((id) => {
        const s = this.status.tasks.get(taskKey(id));
        return withTrace({ id: id.task, state: s?.state ?? 'UNASSIGNED', worker_id: s?.worker_id ?? this.workerId }, s);
      }),
      type: this.connectorType(name),
    };
  }

  taskStatus(id: TaskId): { id: number; state: string; worker_id: string; trace?: string } {
    const st = this.connectorStatus(id.connector);
    const t = st.tasks.find((x) => x.id === id.task);
    if (t === undefined) throw new ConnectRestError(404, `Task ${taskKey(id)} not found`);
    return t;
  }

  async validate(config: Record<string, string>): Promise<ConfigInfos> {
    return (await validateConnectorConfig(this.plugins, config, disallowedClientOverrides(this.config.connectorClientConfigOverridePolicy, config))).infos;
  }

  /** Validation before a config is accepted: 400 with Kafka's message when invalid. */
  protected async checkConfig(name: string, config: Record<string, string>): Promise<Record<string, string>> {
    if (name.trim() === '') throw new ConnectRestError(400, 'Connector name is missing');
    if (config.name !== undefined && config.name !== name) throw new ConnectRestError(400, `Connector name configuration (${config.name}) doesn't match connector name in the URL (${name})`);
    const full = { ...config, name };
    const infos = await this.validate(full);
    if (infos.error_count > 0) throw new ConnectRestError(400, invalidConfigMessage(infos));
    return full;
  }
}

/** Whether two task config lists differ (Kafka's taskConfigsChanged). */
export function taskConfigsChanged(a: Array<Record<string, string>> | undefined, b: Array<Record<string, string>>): boolean {
  if (a === undefined || a.length !== b.length) return true;
  return a.some((c, i) => JSON.stringify(Object.entries(c).sort()) !== JSON.stringify(Object.entries(b[i]!).sort()));
}

export { ConfigException };
