/**
 * Distributed mode: workers sharing a group.id form a group through the broker's group
 * coordinator with protocol type "connect" (eager rebalancing, protocol "default"); the leader
 * deals connectors and tasks round-robin. Configs live in config.storage.topic with Kafka's
 * keys and JSON (connector-<name> {"properties":{...}}, task-<name>-<n>, commit-<name>
 * {"tasks":n}, target-state-<name> {"state":...}), statuses in status.storage.topic
 * (status-connector-<name>, status-task-<name>-<n>: {"state","trace","worker_id","generation"}),
 * source offsets in offset.storage.topic. Any worker writes configs (Kafka forwards them to the
 * leader); the worker running a connector writes its task configs.
 */
import { apiByName, KafkaError } from '@samsa/protocol';
import { Cluster, type ConsumedMessage, isRetriable } from '@samsa/client';
import type { Connection } from '@samsa/client';
import { CONNECT_PROTOCOL_TYPE, type ConnectAssignment, decodeAssignment, decodeWorkerState, EAGER_PROTOCOL, eagerAssign, encodeAssignment, encodeWorkerState } from './connect-protocol.js';
import { type ConnectorInfo, ConnectRestError, Herder, notFound, type Status, StatusStore, taskConfigsChanged } from './herder.js';
import { ensureCompactedTopic, KafkaBasedLog } from './kafka-log.js';
import { KafkaOffsetStore } from './offsets.js';
import type { Plugins } from './plugins.js';
import { type State, type TargetState, type TaskId, taskKey } from './worker.js';
import type { WorkerConfig } from './worker-config.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class KafkaStatusStore extends StatusStore {
  log: KafkaBasedLog | null = null;

  protected override write(key: string, status: Status | null): void {
    this.log?.send(key, status === null ? null : Buffer.from(JSON.stringify(status))).catch((err: Error) => console.error(`Failed to write status ${key}: ${err.message}`));
  }

  /** A record of the status topic; an older generation from another worker does not replace a newer one. */
  readonly apply = (m: ConsumedMessage): void => {
    if (m.key === null) return;
    const key = m.key.toString('utf8');
    const conn = /^status-connector-(.+)$/.exec(key);
    const task = /^status-task-(.+)$/.exec(key);
    const map = conn !== null ? this.connectors : task !== null ? this.tasks : null;
    const id = conn?.[1] ?? task?.[1];
    if (map === null || id === undefined) return;
    if (m.value === null) {
      map.delete(id);
      return;
    }
    let s: Status;
    try {
      s = JSON.parse(m.value.toString('utf8')) as Status;
    } catch {
      return;
    }
    const cur = map.get(id);
    if (cur !== undefined && cur.generation > s.generation && cur.worker_id !== s.worker_id) return;
    map.set(id, s);
  };
}

/** A member of the Connect group: JoinGroup/SyncGroup/Heartbeat/LeaveGroup with protocol type "connect". */
class ConnectGroupMember {
  memberId = '';
  generationId = -1;
  leaderId = '';
  private coordinator: Connection | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(private readonly cluster: Cluster, private readonly cfg: WorkerConfig, private readonly onRebalanceNeeded: () => void) {}

  private async coordinatorConnection(): Promise<Connection> {
    if (this.coordinator !== null) return this.coordinator;
    for (let attempt = 0; ; attempt++) {
      const { version, response } = await this.cluster.sendAny(apiByName.FindCoordinator, (v) => (v >= 4 ? { keyType: 0, coordinatorKeys: [this.cfg.groupId] } : { key: this.cfg.groupId, ...(v >= 1 ? { keyType: 0 } : {}) }));
      const c = version >= 4 ? response.coordinators![0]! : { nodeId: response.nodeId!, host: response.host!, port: response.port!, errorCode: response.errorCode! };
      if (c.errorCode === 0) return (this.coordinator = this.cluster.connectionTo(c.nodeId, c.host, c.port));
      if (attempt > 100) throw KafkaError.from(c.errorCode);
      await sleep(this.cluster.retryBackoffMs);
    }
  }

  /**
   * Joins and syncs (retrying until it has an assignment). `assign` runs on the leader with
   * every member's metadata.
   */
  async join(url: string, configOffset: bigint, assign: (members: Array<{ memberId: string; url: string; configOffset: bigint }>) => Promise<Map<string, ConnectAssignment>>): Promise<ConnectAssignment> {
    this.stopHeartbeat();
    for (let attempt = 0; ; attempt++) {
      try {
        const conn = await this.coordinatorConnection();
        const { response: join } = await conn.send(
          apiByName.JoinGroup,
          (v) => ({
            groupId: this.cfg.groupId,
            sessionTimeoutMs: this.cfg.sessionTimeoutMs,
            ...(v >= 1 ? { rebalanceTimeoutMs: this.cfg.rebalanceTimeoutMs } : {}),
            memberId: this.memberId,
            ...(v >= 5 ? { groupInstanceId: null } : {}),
            protocolType: CONNECT_PROTOCOL_TYPE,
            protocols: [{ name: EAGER_PROTOCOL, metadata: encodeWorkerState({ url, configOffset }) }],
          }),
          { extraTimeoutMs: this.cfg.rebalanceTimeoutMs },
        );
        if (join.errorCode === 79) {
          this.memberId = join.memberId; // MEMBER_ID_REQUIRED: join again with the id (KIP-394)
          continue;
        }
        if (join.errorCode !== 0) throw KafkaError.from(join.errorCode, `JoinGroup ${this.cfg.groupId}`);
        this.memberId = join.memberId;
        this.generationId = join.generationId;
        this.leaderId = join.leader;
        let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
        if (join.leader === join.memberId) {
          const members = join.members.map((m) => ({ memberId: m.memberId, ...decodeWorkerState(m.metadata) }));
          const result = await assign(members);
          assignments = [...result].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
        }
        const { response: sync } = await conn.send(
          apiByName.SyncGroup,
          (v) => ({
            groupId: this.cfg.groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            ...(v >= 3 ? { groupInstanceId: null } : {}),
            ...(v >= 5 ? { protocolType: CONNECT_PROTOCOL_TYPE, protocolName: EAGER_PROTOCOL } : {}),
            assignments,
          }),
          { extraTimeoutMs: this.cfg.rebalanceTimeoutMs },
        );
        if (sync.errorCode !== 0) throw KafkaError.from(sync.errorCode, `SyncGroup ${this.cfg.groupId}`);
        this.startHeartbeat();
        return decodeAssignment(sync.assignment);
      } catch (err) {
        const code = err instanceof KafkaError ? err.code : null;
        if (code === 25 /* UNKNOWN_MEMBER_ID */) this.memberId = '';
        if (code === 14 || code === 15 || code === 16 || code === null) this.coordinator = null;
        if (code === 27 || code === 22 || code === 25) continue;
        if ((code !== null && !isRetriable(err)) || attempt > 100) throw err;
        await sleep(Math.min(1000, this.cluster.retryBackoffMs * (attempt + 1)));
      }
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const generation = this.generationId;
    this.heartbeatTimer = setInterval(() => {
      void (async () => {
        try {
          const conn = await this.coordinatorConnection();
          const { response } = await conn.send(apiByName.Heartbeat, (v) => ({ groupId: this.cfg.groupId, generationId: generation, memberId: this.memberId, ...(v >= 3 ? { groupInstanceId: null } : {}) }));
          if (generation !== this.generationId || this.heartbeatTimer === null) return;
          const code = response.errorCode;
          if (code === 27 || code === 22 || code === 25) {
            if (code === 25) this.memberId = '';
            this.stopHeartbeat();
            this.onRebalanceNeeded();
          } else if (code === 14 || code === 15 || code === 16) this.coordinator = null;
        } catch {
          this.coordinator = null;
        }
      })();
    }, this.cfg.heartbeatIntervalMs);
  }

  stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  async leave(): Promise<void> {
    this.stopHeartbeat();
    if (this.memberId === '' || this.coordinator === null) return;
    await this.coordinator
      .send(apiByName.LeaveGroup, (v) => (v >= 3 ? { groupId: this.cfg.groupId, members: [{ memberId: this.memberId, groupInstanceId: null, ...(v >= 5 ? { reason: 'the worker is shutting down' } : {}) }] } : { groupId: this.cfg.groupId, memberId: this.memberId }))
      .catch(() => {});
  }
}

interface ParsedConfigRecord {
  kind: 'connector' | 'task' | 'commit' | 'target-state' | 'other';
  name: string;
  task: number;
  value: Record<string, unknown> | null;
}

function parseConfigRecord(m: ConsumedMessage): ParsedConfigRecord {
  const key = m.key?.toString('utf8') ?? '';
  let value: Record<string, unknown> | null = null;
  if (m.value !== null) {
    try {
      value = JSON.parse(m.value.toString('utf8')) as Record<string, unknown>;
    } catch {
      return { kind: 'other', name: '', task: -1, value: null };
    }
  }
  const task = /^task-(.+)-(\d+)$/.exec(key);
  if (task !== null) return { kind: 'task', name: task[1]!, task: Number(task[2]), value };
  for (const kind of ['connector', 'commit', 'target-state'] as const) if (key.startsWith(`${kind}-`)) return { kind, name: key.slice(kind.length + 1), task: -1, value };
  return { kind: 'other', name: '', task: -1, value };
}

export class DistributedHerder extends Herder {
  private configLog: KafkaBasedLog | null = null;
  private statusLog: KafkaBasedLog | null = null;
  private readonly offsets = new KafkaOffsetStore();
  private member: ConnectGroupMember | null = null;
  private cluster: Cluster | null = null;
  /** Task configs read but not yet committed by a commit-<name> record. */
  private readonly deferredTasks = new Map<string, Map<number, Record<string, string>>>();
  private assignment: ConnectAssignment | null = null;
  private rebalanceNeeded = true;
  private stopped = false;
  private queue: Promise<unknown> = Promise.resolve();
  private ticking = false;

  constructor(config: WorkerConfig, plugins: Plugins, workerId: string) {
    super(config, plugins, new KafkaStatusStore(workerId));
  }

  private get statusStore(): KafkaStatusStore {
    return this.status as KafkaStatusStore;
  }

  private serial<X>(fn: () => Promise<X>): Promise<X> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => {});
    return next;
  }

  async start(): Promise<void> {
    const c = this.config;
    await this.startClients(this.offsets);
    await ensureCompactedTopic(this.admin, c.configStorageTopic, 1, c.configStorageReplicationFactor);
    await ensureCompactedTopic(this.admin, c.offsetStorageTopic, c.offsetStoragePartitions, c.offsetStorageReplicationFactor);
    await ensureCompactedTopic(this.admin, c.statusStorageTopic, c.statusStoragePartitions, c.statusStorageReplicationFactor);
    this.offsets.log = new KafkaBasedLog(c.offsetStorageTopic, c, this.admin, this.producer, this.offsets.apply);
    this.statusStore.log = new KafkaBasedLog(c.statusStorageTopic, c, this.admin, this.producer, this.statusStore.apply);
    this.statusLog = this.statusStore.log;
    this.configLog = new KafkaBasedLog(c.configStorageTopic, c, this.admin, this.producer, (m) => this.applyConfigRecord(m));
    await Promise.all([this.offsets.start(), this.statusLog.start(), this.configLog.start()]);
    this.cluster = new Cluster({ ...c.consumer });
    this.member = new ConnectGroupMember(this.cluster, c, () => this.requestRebalance());
  }

  /** Joins the group; call once the REST URL is known. */
  beginMembership(): void {
    this.requestRebalance();
  }

  private requestRebalance(): void {
    this.rebalanceNeeded = true;
    if (this.ticking || this.stopped || this.member === null) return;
    this.ticking = true;
    void this.serial(async () => {
      try {
        while (this.rebalanceNeeded && !this.stopped) {
          this.rebalanceNeeded = false;
          await this.rebalance();
        }
      } catch (err) {
        console.error(`Rebalance failed: ${(err as Error).message}`);
        this.rebalanceNeeded = true;
        setTimeout(() => this.requestRebalance(), 1000).unref();
      } finally {
        this.ticking = false;
      }
    });
  }

  /** Eager: stop everything this worker runs, join, then start what the leader assigned. */
  private async rebalance(): Promise<void> {
    const prev = this.assignment;
    this.assignment = null;
    if (prev !== null) {
      await Promise.all(prev.tasks.map(async (id) => {
        await this.worker.stopTask(id);
        this.status.taskState(id, 'UNASSIGNED', null);
      }));
      await Promise.all(prev.connectors.map(async (n) => {
        await this.worker.stopConnector(n);
        this.status.connectorState(n, 'UNASSIGNED', null);
      }));
    }
    if (this.stopped) return;
    const assignment = await this.member!.join(this.restUrl, BigInt(this.configState.offset), async (members) => {
      await this.configLog!.readToEnd();
      const tasks = [...this.configState.connectorConfigs.keys()].flatMap((n) => this.configState.tasksOf(n));
      const dealt = eagerAssign(members.map((m) => m.memberId), [...this.configState.connectorConfigs.keys()], tasks);
      const leaderUrl = members.find((m) => m.memberId === this.member!.memberId)?.url ?? this.restUrl;
      return new Map([...dealt].map(([id, a]) => [id, { error: 0, leader: this.member!.memberId, leaderUrl, configOffset: BigInt(this.configState.offset), ...a }]));
    });
    if (this.stopped) return;
    this.status.generation = this.member!.generationId;
    if (assignment.configOffset > BigInt(this.configState.offset)) await this.configLog!.readToEnd();
    this.assignment = assignment;
    console.log(`Joined group at generation ${this.member!.generationId} with assignment: connectors ${JSON.stringify(assignment.connectors)}, tasks ${JSON.stringify(assignment.tasks.map(taskKey))}`);
    for (const name of assignment.connectors) await this.startOwnedConnector(name);
    for (const id of assignment.tasks) {
      const config = this.configState.connectorConfigs.get(id.connector);
      const taskConfig = this.configState.taskConfigs.get(id.connector)?.[id.task];
      if (config !== undefined && taskConfig !== undefined) await this.worker.startTask(id, config, taskConfig, this.configState.targetState(id.connector));
    }
  }

  private async startOwnedConnector(name: string): Promise<void> {
    const config = this.configState.connectorConfigs.get(name);
    if (config === undefined) return;
    if (await this.worker.startConnector(name, config, this.configState.targetState(name))) await this.publishTaskConfigs(name);
  }

  /** Writes the running connector's task configs and their commit record when they changed. */
  private async publishTaskConfigs(name: string): Promise<void> {
    const configs = this.worker.connectorTaskConfigs(name);
    if (configs === null || !taskConfigsChanged(this.configState.taskConfigs.get(name), configs)) return;
    for (let i = 0; i < configs.length; i++) await this.configLog!.send(`task-${name}-${i}`, Buffer.from(JSON.stringify({ properties: configs[i] })));
    await this.configLog!.send(`commit-${name}`, Buffer.from(JSON.stringify({ tasks: configs.length })));
  }

  private owns(name: string): boolean {
    return this.assignment?.connectors.includes(name) ?? false;
  }

  private applyConfigRecord(m: ConsumedMessage): void {
    const r = parseConfigRecord(m);
    this.configState.offset = Number(m.offset);
    const cs = this.configState;
    switch (r.kind) {
      case 'connector': {
        const existed = cs.connectorConfigs.has(r.name);
        if (r.value === null) {
          cs.connectorConfigs.delete(r.name);
          cs.taskConfigs.delete(r.name);
          cs.targetStates.delete(r.name);
          this.requestRebalance();
        } else {
          cs.connectorConfigs.set(r.name, (r.value.properties ?? {}) as Record<string, string>);
          if (!existed) this.requestRebalance();
          else if (this.owns(r.name)) void this.serial(() => this.startOwnedConnector(r.name));
        }
        return;
      }
      case 'task': {
        let d = this.deferredTasks.get(r.name);
        if (d === undefined) this.deferredTasks.set(r.name, (d = new Map()));
        if (r.value !== null) d.set(r.task, (r.value.properties ?? {}) as Record<string, string>);
        return;
      }
      case 'commit': {
        const n = Number(r.value?.tasks ?? 0);
        const d = this.deferredTasks.get(r.name) ?? new Map<number, Record<string, string>>();
        const prev = cs.taskConfigs.get(r.name) ?? [];
        const next = Array.from({ length: n }, (_, i) => d.get(i) ?? prev[i]).filter((x): x is Record<string, string> => x !== undefined);
        if (next.length === n) cs.taskConfigs.set(r.name, next);
        this.deferredTasks.delete(r.name);
        this.requestRebalance();
        return;
      }
      case 'target-state': {
        const state = ((r.value?.['state.v2'] ?? r.value?.state ?? 'STARTED') as string).toUpperCase() as TargetState;
        if (r.value === null) cs.targetStates.delete(r.name);
        else cs.targetStates.set(r.name, state);
        if (this.worker !== undefined) this.worker.setTargetState(r.name, cs.targetState(r.name));
        return;
      }
      default:
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.serial(async () => {
      await this.worker?.stopAll();
      await this.member?.leave();
    });
    await Promise.all([this.configLog?.stop(), this.statusLog?.stop(), this.offsets.stop()]);
    this.cluster?.close();
    await this.producer?.close().catch(() => {});
    await this.admin?.close().catch(() => {});
  }

  async putConnectorConfig(name: string, config: Record<string, string>, allowReplace: boolean): Promise<{ created: boolean; info: ConnectorInfo }> {
    const full = await this.checkConfig(name, config);
    await this.configLog!.readToEnd();
    const exists = this.configState.connectorConfigs.has(name);
    if (exists && !allowReplace) throw new ConnectRestError(409, `Connector ${name} already exists`);
    await this.configLog!.send(`connector-${name}`, Buffer.from(JSON.stringify({ properties: full })));
    await this.configLog!.readToEnd();
    return { created: !exists, info: this.connectorInfo(name) };
  }

  async deleteConnector(name: string): Promise<void> {
    await this.configLog!.readToEnd();
    if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
    const tasks = this.configState.tasksOf(name);
    await this.configLog!.send(`connector-${name}`, null);
    await this.configLog!.send(`target-state-${name}`, null);
    await this.configLog!.readToEnd();
    this.status.forget(name, tasks);
  }

  async setTargetState(name: string, target: TargetState): Promise<void> {
    await this.configLog!.readToEnd();
    if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
    await this.configLog!.send(`target-state-${name}`, Buffer.from(JSON.stringify({ state: target === 'STOPPED' ? 'PAUSED' : target, 'state.v2': target })));
    await this.configLog!.readToEnd();
  }

  /** Restarts run where the connector or task runs: here, or forwarded to its worker's REST API. */
  private async restartAt(workerId: string | undefined, path: string, local: () => Promise<void>): Promise<void> {
    if (workerId === this.workerId) return local();
    if (workerId === undefined) throw new ConnectRestError(409, 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)');
    const res = await fetch(`http://${workerId}${path}`, { method: 'POST' });
    if (res.status >= 400) throw new ConnectRestError(res.status, ((await res.json().catch(() => ({}))) as { message?: string }).message ?? `forwarded restart failed with ${res.status}`);
  }

  async restartConnector(name: string): Promise<void> {
    if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
    const owner = this.owns(name) ? this.workerId : this.runningOn(this.status.connectors.get(name));
    await this.restartAt(owner, `/connectors/${encodeURIComponent(name)}/restart`, () => this.serial(() => this.startOwnedConnector(name)));
  }

  async restartTask(id: TaskId): Promise<void> {
    const config = this.configState.connectorConfigs.get(id.connector);
    if (config === undefined) throw notFound(id.connector);
    const taskConfig = this.configState.taskConfigs.get(id.connector)?.[id.task];
    if (taskConfig === undefined) throw new ConnectRestError(404, `Task ${taskKey(id)} not found`);
    const mine = this.assignment?.tasks.some((t) => t.connector === id.connector && t.task === id.task) ?? false;
    const owner = mine ? this.workerId : this.runningOn(this.status.tasks.get(taskKey(id)));
    await this.restartAt(owner, `/connectors/${encodeURIComponent(id.connector)}/tasks/${id.task}/restart`, () =>
      this.serial(() => this.worker.startTask(id, config, taskConfig, this.configState.targetState(id.connector))),
    );
  }

  private runningOn(s: Status | undefined): string | undefined {
    const live: State[] = ['RUNNING', 'PAUSED', 'FAILED', 'STOPPED'];
    return s !== undefined && live.includes(s.state) ? s.worker_id : undefined;
  }

  protected reconfigureTasks(name: string): Promise<void> {
    return this.serial(async () => {
      if (this.owns(name)) await this.publishTaskConfigs(name);
    });
  }
}

export type { ConnectorInfo };
