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
import { CONNECT_PROTOCOL_TYPE, CONNECT_PROTOCOL_V0, type ConnectAssignment, decodeAssignment, decodeWorkerState, eagerAssign, encodeAssignment, encodeWorkerState, offeredProtocols, protocolVersion, type TaskRef, type WorkerState } from './connect-protocol.js';
import { IncrementalCooperativeAssignor } from './cooperative-assignor.js';
import { type ConnectorInfo, ConnectRestError, Herder, NotLeaderError, notFound, type Status, StatusStore, taskConfigsChanged } from './herder.js';
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

  protected override writeTopic(key: string, topic: object | null): void {
    this.log?.send(key, topic === null ? null : Buffer.from(JSON.stringify({ topic }))).catch((err: Error) => console.error(`Failed to write topic status ${key}: ${err.message}`));
  }

  /** A record of the status topic; an older generation from another worker does not replace a newer one. */
  readonly apply = (m: ConsumedMessage): void => {
    if (m.key === null) return;
    const key = m.key.toString('utf8');
    const topicKey = /^topic-(.+)-connector-(.+)$/.exec(key);
    if (topicKey !== null) {
      if (m.value === null) this.topics.get(topicKey[2]!)?.delete(topicKey[1]!);
      else {
        try {
          const t = (JSON.parse(m.value.toString('utf8')) as { topic: { name: string; connector: string; task: number; discoverTimestamp: number } }).topic;
          if (t !== undefined && typeof t.name === 'string') this.applyTopic(t);
        } catch {
          // not Kafka's JSON: ignored like other foreign records
        }
      }
      return;
    }
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
  async join(state: WorkerState, assign: (members: Array<{ memberId: string } & WorkerState>, version: number) => Promise<Map<string, ConnectAssignment>>): Promise<{ assignment: ConnectAssignment; version: number }> {
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
            protocols: offeredProtocols(this.cfg.connectProtocol).map((p) => ({ name: p.name, metadata: encodeWorkerState(state, p.version) })),
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
        const protocolName = join.protocolName ?? offeredProtocols(this.cfg.connectProtocol)[0]!.name;
        const version = protocolVersion(protocolName);
        let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
        if (join.leader === join.memberId) {
          const members = join.members.map((m) => ({ memberId: m.memberId, ...decodeWorkerState(m.metadata) }));
          const result = await assign(members, version);
          assignments = [...result].map(([memberId, a]) => ({ memberId, assignment: encodeAssignment(a) }));
        }
        const { response: sync } = await conn.send(
          apiByName.SyncGroup,
          (v) => ({
            groupId: this.cfg.groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            ...(v >= 3 ? { groupInstanceId: null } : {}),
            ...(v >= 5 ? { protocolType: CONNECT_PROTOCOL_TYPE, protocolName } : {}),
            assignments,
          }),
          { extraTimeoutMs: this.cfg.rebalanceTimeoutMs },
        );
        if (sync.errorCode !== 0) throw KafkaError.from(sync.errorCode, `SyncGroup ${this.cfg.groupId}`);
        this.startHeartbeat();
        return { assignment: decodeAssignment(sync.assignment), version };
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
  /** Resolved by the next completed join; config writes wait on it to know who leads. */
  private assignmentWaiters: Array<() => void> = [];
  private rebalanceNeeded = true;
  private stopped = false;
  private queue: Promise<unknown> = Promise.resolve();
  private ticking = false;
  private assignor: IncrementalCooperativeAssignor;
  /** The Connect protocol version of the last completed round (0 = eager). */
  private protocolVersion = CONNECT_PROTOCOL_V0;
  private delayedRejoin: NodeJS.Timeout | null = null;

  constructor(config: WorkerConfig, plugins: Plugins, workerId: string) {
    super(config, plugins, new KafkaStatusStore(workerId));
    this.assignor = new IncrementalCooperativeAssignor(config.scheduledRebalanceMaxDelayMs);
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
    this.offsets.log = new KafkaBasedLog(c.offsetStorageTopic, c.consumer, this.admin, this.producer, this.offsets.apply);
    this.statusStore.log = new KafkaBasedLog(c.statusStorageTopic, c.consumer, this.admin, this.producer, this.statusStore.apply);
    this.statusLog = this.statusStore.log;
    this.configLog = new KafkaBasedLog(c.configStorageTopic, c.consumer, this.admin, this.producer, (m) => this.applyConfigRecord(m));
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

  /** Stops connectors and tasks this worker no longer runs, marking them UNASSIGNED. */
  private async stopAssigned(connectors: readonly string[], tasks: readonly TaskRef[]): Promise<void> {
    await Promise.all(tasks.map(async (id) => {
      await this.worker.stopTask(id);
      this.status.taskState(id, 'UNASSIGNED', null);
    }));
    await Promise.all(connectors.map(async (n) => {
      await this.worker.stopConnector(n);
      this.status.connectorState(n, 'UNASSIGNED', null);
    }));
  }

  /**
   * One round of the group protocol. Eager (protocol "default"): stop everything, join, start what
   * the leader dealt. Incremental cooperative ("compatible"/"sessioned"): join carrying what this
   * worker runs, stop only what the leader revokes, start only what it newly assigns; the rest keeps
   * running untouched. Revocations call for another round at once, a delay for one after it.
   */
  private async rebalance(): Promise<void> {
    const prev = this.assignment;
    this.assignment = null;
    if (this.delayedRejoin !== null) clearTimeout(this.delayedRejoin);
    this.delayedRejoin = null;
    const fenced = this.member!.memberId === '';
    let running: ConnectAssignment | null = prev;
    if (prev !== null && (this.protocolVersion === CONNECT_PROTOCOL_V0 || fenced)) {
      await this.stopAssigned(prev.connectors, prev.tasks);
      running = null;
    }
    if (this.stopped) return;
    const { assignment, version } = await this.member!.join({ url: this.restUrl, configOffset: BigInt(this.configState.offset), allocation: running }, async (members, v) => {
      await this.configLog!.readToEnd();
      const connectors = [...this.configState.connectorConfigs.keys()];
      const tasks = connectors.flatMap((n) => this.configState.tasksOf(n));
      const leaderUrl = members.find((m) => m.memberId === this.member!.memberId)?.url ?? this.restUrl;
      const base = { error: 0, leader: this.member!.memberId, leaderUrl, configOffset: BigInt(this.configState.offset) };
      if (v === CONNECT_PROTOCOL_V0) return new Map([...eagerAssign(members.map((m) => m.memberId), connectors, tasks)].map(([id, a]) => [id, { ...base, ...a }]));
      const dealt = this.assignor.assign(members.map((m) => ({ memberId: m.memberId, connectors: m.allocation?.connectors ?? [], tasks: m.allocation?.tasks ?? [] })), connectors, tasks);
      return new Map([...dealt].map(([id, a]) => [id, { version: v, ...base, ...a }]));
    });
    if (this.stopped) return;
    // a worker that did not lead this round has no valid history for a later round it may lead
    if (this.member!.leaderId !== this.member!.memberId) this.assignor = new IncrementalCooperativeAssignor(this.config.scheduledRebalanceMaxDelayMs);
    this.protocolVersion = version;
    this.status.generation = this.member!.generationId;
    if (assignment.configOffset > BigInt(this.configState.offset)) await this.configLog!.readToEnd();
    let toStart = { connectors: assignment.connectors, tasks: assignment.tasks };
    if (version === CONNECT_PROTOCOL_V0) {
      if (running !== null) await this.stopAssigned(running.connectors, running.tasks);
      this.assignment = assignment;
    } else {
      const revokedConnectors = assignment.revokedConnectors ?? [];
      const revokedTasks = assignment.revokedTasks ?? [];
      const revokedTaskKeys = new Set(revokedTasks.map(taskKey));
      await this.stopAssigned(revokedConnectors, revokedTasks);
      const keptConnectors = (running?.connectors ?? []).filter((c) => !revokedConnectors.includes(c));
      const keptTasks = (running?.tasks ?? []).filter((t) => !revokedTaskKeys.has(taskKey(t)));
      this.assignment = { ...assignment, connectors: [...keptConnectors, ...assignment.connectors.filter((c) => !keptConnectors.includes(c))], tasks: [...keptTasks, ...assignment.tasks.filter((t) => !keptTasks.some((k) => taskKey(k) === taskKey(t)))] };
      toStart = { connectors: assignment.connectors.filter((c) => !keptConnectors.includes(c)), tasks: assignment.tasks.filter((t) => !keptTasks.some((k) => taskKey(k) === taskKey(t))) };
      if (revokedConnectors.length + revokedTasks.length > 0) {
        console.log(`Revoked connectors ${JSON.stringify(revokedConnectors)}, tasks ${JSON.stringify(revokedTasks.map(taskKey))}; rejoining`);
        this.rebalanceNeeded = true;
      }
      const delay = assignment.delay ?? 0;
      if (delay > 0) this.delayedRejoin = setTimeout(() => this.requestRebalance(), delay);
    }
    for (const wake of this.assignmentWaiters.splice(0)) wake();
    const full = this.assignment;
    console.log(`Joined group at generation ${this.member!.generationId} (protocol version ${version}) with assignment: connectors ${JSON.stringify(full.connectors)}, tasks ${JSON.stringify(full.tasks.map(taskKey))}; starting connectors ${JSON.stringify(toStart.connectors)}, tasks ${JSON.stringify(toStart.tasks.map(taskKey))}`);
    for (const name of toStart.connectors) await this.startOwnedConnector(name);
    for (const id of toStart.tasks) await this.startAssignedTask(id);
    this.rebalanceSuccess();
  }

  /** Whether this worker leads the group (as of the last completed rebalance). */
  protected isLeader(): boolean {
    return this.assignment !== null && this.member !== null && this.assignment.leader === this.member.memberId;
  }

  /** Called after each completed rebalance (MirrorMaker's herder configures its connectors there). */
  protected rebalanceSuccess(): void {}

  private async startAssignedTask(id: TaskRef): Promise<void> {
    const config = this.configState.connectorConfigs.get(id.connector);
    const taskConfig = this.configState.taskConfigs.get(id.connector)?.[id.task];
    if (config !== undefined && taskConfig !== undefined) await this.worker.startTask(id, config, taskConfig, this.configState.targetState(id.connector));
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
        if (next.length === n) {
          cs.taskConfigs.set(r.name, next);
          // cooperative rounds do not restart tasks, so tasks running here pick up changed configs now
          const changed = (this.assignment?.tasks ?? []).filter((t) => t.connector === r.name && t.task < n && JSON.stringify(prev[t.task]) !== JSON.stringify(next[t.task]));
          if (this.protocolVersion !== CONNECT_PROTOCOL_V0 && changed.length > 0) void this.serial(async () => {
            for (const t of changed) await this.startAssignedTask(t);
          });
        }
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
    if (this.delayedRejoin !== null) clearTimeout(this.delayedRejoin);
    await this.serial(async () => {
      await this.worker?.stopAll();
      await this.member?.leave();
    });
    await Promise.all([this.configLog?.stop(), this.statusLog?.stop(), this.offsets.stop()]);
    this.cluster?.close();
    await this.producer?.close().catch(() => {});
    await this.admin?.close().catch(() => {});
  }

  /**
   * Config writes are the leader's, as in Kafka (a follower's REST layer forwards them to the
   * leader's URL from the assignment); mid-rebalance this waits for the join to finish first.
   */
  private async requireLeader(what: string): Promise<void> {
    if (this.assignment === null && !this.stopped) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.assignmentWaiters.push(resolve);
        timer = setTimeout(resolve, this.config.rebalanceTimeoutMs);
      });
      clearTimeout(timer);
    }
    const a = this.assignment;
    if (a === null) throw new NotLeaderError(`Cannot ${what} while the worker is not in the group`, null);
    if (a.leader !== this.member!.memberId) throw new NotLeaderError(`Only the leader can ${what}.`, a.leaderUrl);
  }

  async putConnectorConfig(name: string, config: Record<string, string>, allowReplace: boolean): Promise<{ created: boolean; info: ConnectorInfo }> {
    await this.requireLeader('write connector configs');
    const full = await this.checkConfig(name, config);
    await this.configLog!.readToEnd();
    const exists = this.configState.connectorConfigs.has(name);
    if (exists && !allowReplace) throw new ConnectRestError(409, `Connector ${name} already exists`);
    await this.configLog!.send(`connector-${name}`, Buffer.from(JSON.stringify({ properties: full })));
    await this.configLog!.readToEnd();
    return { created: !exists, info: this.connectorInfo(name) };
  }

  async deleteConnector(name: string): Promise<void> {
    await this.requireLeader('delete connectors');
    await this.configLog!.readToEnd();
    if (!this.configState.connectorConfigs.has(name)) throw notFound(name);
    const tasks = this.configState.tasksOf(name);
    await this.configLog!.send(`connector-${name}`, null);
    await this.configLog!.send(`target-state-${name}`, null);
    await this.configLog!.readToEnd();
    this.status.forget(name, tasks);
  }

  async setTargetState(name: string, target: TargetState): Promise<void> {
    // as Kafka: pause and resume are written by any worker, stopping is the leader's
    if (target === 'STOPPED') await this.requireLeader('stop connectors');
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
