/**
 * Connect's group protocol (protocol type "connect"). Protocol "default" is eager (V0), "compatible"
 * (V1) and "sessioned" (V2) are incremental cooperative (KIP-415; V2 is V1's layout and marks
 * KIP-507 sessions). Member metadata: {version int16, url string, config-offset int64} and from V1
 * {allocation nullable bytes: the member's current full assignment, encoded as an assignment}.
 * An assignment: {version int16, error int16, leader string, leader-url string, config-offset
 * int64, assignment [{connector string, tasks [int32]}]} and from V1 {revoked [same], delay int32};
 * task -1 stands for the connector instance itself. In V1+ the assignment lists only what the member
 * starts now and what it must stop; it keeps the rest. Classic (non-compact) encodings throughout.
 */
import { Reader, Writer } from '@samsa/protocol';

export const CONNECT_PROTOCOL_TYPE = 'connect';
export const EAGER_PROTOCOL = 'default';
export const CONNECT_PROTOCOL_V0 = 0;
export const CONNECT_PROTOCOL_V1 = 1;
export const CONNECT_PROTOCOL_V2 = 2;
export const CONNECTOR_TASK = -1;
export const CONFIG_MISMATCH = 1;

/** `connect.protocol` values and the group protocols each offers, most preferred first (ConnectProtocolCompatibility). */
export type ConnectProtocolMode = 'eager' | 'compatible' | 'sessioned';
export const CONNECT_PROTOCOL_MODES: readonly ConnectProtocolMode[] = ['eager', 'compatible', 'sessioned'];
const PROTOCOLS: ReadonlyArray<{ name: string; version: number }> = [
  { name: 'sessioned', version: CONNECT_PROTOCOL_V2 },
  { name: 'compatible', version: CONNECT_PROTOCOL_V1 },
  { name: EAGER_PROTOCOL, version: CONNECT_PROTOCOL_V0 },
];

export function offeredProtocols(mode: ConnectProtocolMode): Array<{ name: string; version: number }> {
  const top = mode === 'sessioned' ? 0 : mode === 'compatible' ? 1 : 2;
  return PROTOCOLS.slice(top);
}

export function protocolVersion(name: string): number {
  const p = PROTOCOLS.find((x) => x.name === name);
  if (p === undefined) throw new Error(`Unknown Connect protocol ${name}`);
  return p.version;
}

export type TaskRef = { connector: string; task: number };

export interface WorkerState {
  url: string;
  configOffset: bigint;
  /** V1+: what the member runs now (null when nothing). */
  allocation?: ConnectAssignment | null;
}

export interface ConnectAssignment {
  version?: number;
  error: number;
  leader: string;
  leaderUrl: string;
  configOffset: bigint;
  connectors: string[];
  tasks: TaskRef[];
  revokedConnectors?: string[];
  revokedTasks?: TaskRef[];
  /** V1+: ms until the leader rebalances again to place lost connectors and tasks. */
  delay?: number;
}

export function encodeWorkerState(s: WorkerState, version = CONNECT_PROTOCOL_V0): Buffer {
  const w = new Writer().int16(version).string(s.url).int64(s.configOffset);
  if (version >= CONNECT_PROTOCOL_V1) {
    const a = s.allocation;
    const empty = a === undefined || a === null || (a.connectors.length === 0 && a.tasks.length === 0);
    w.nullableBytes(empty ? null : encodeAssignment({ ...a, version, revokedConnectors: [], revokedTasks: [], delay: 0 }));
  }
  return w.toBuffer();
}

function checkVersion(version: number): void {
  if (version < CONNECT_PROTOCOL_V0) throw new Error(`Unsupported subscription version: ${version}`);
}

export function decodeWorkerState(buf: Buffer): WorkerState {
  const r = new Reader(buf);
  const version = r.int16();
  checkVersion(version);
  const state: WorkerState = { url: r.string(), configOffset: r.int64() };
  if (version >= CONNECT_PROTOCOL_V1) {
    const allocation = r.remaining > 0 ? r.nullableBytes() : null;
    state.allocation = allocation === null ? null : decodeAssignment(allocation);
  }
  return state;
}

function writeConnectorAssignments(w: Writer, connectors: readonly string[], tasks: readonly TaskRef[]): void {
  const byConnector = new Map<string, number[]>();
  for (const c of connectors) byConnector.set(c, [CONNECTOR_TASK]);
  for (const t of tasks) {
    let l = byConnector.get(t.connector);
    if (l === undefined) byConnector.set(t.connector, (l = []));
    l.push(t.task);
  }
  w.array([...byConnector], (w1, [connector, ids]) => {
    w1.string(connector).array(ids, (w2, t) => w2.int32(t));
  });
}

function readConnectorAssignments(r: Reader): { connectors: string[]; tasks: TaskRef[] } {
  const connectors: string[] = [];
  const tasks: TaskRef[] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const connector = r.string();
    const m = r.int32();
    for (let j = 0; j < m; j++) {
      const task = r.int32();
      if (task === CONNECTOR_TASK) connectors.push(connector);
      else tasks.push({ connector, task });
    }
  }
  return { connectors, tasks };
}

export function encodeAssignment(a: ConnectAssignment): Buffer {
  const version = a.version ?? CONNECT_PROTOCOL_V0;
  const w = new Writer().int16(version).int16(a.error).string(a.leader).string(a.leaderUrl).int64(a.configOffset);
  writeConnectorAssignments(w, a.connectors, a.tasks);
  if (version >= CONNECT_PROTOCOL_V1) {
    writeConnectorAssignments(w, a.revokedConnectors ?? [], a.revokedTasks ?? []);
    w.int32(a.delay ?? 0);
  }
  return w.toBuffer();
}

export function decodeAssignment(buf: Buffer): ConnectAssignment {
  const r = new Reader(buf);
  const version = r.int16();
  checkVersion(version);
  const error = r.int16();
  const leader = r.string();
  const leaderUrl = r.string();
  const configOffset = r.int64();
  const { connectors, tasks } = readConnectorAssignments(r);
  const a: ConnectAssignment = { error, leader, leaderUrl, configOffset, connectors, tasks };
  if (version >= CONNECT_PROTOCOL_V1) {
    // fields a newer writer may omit default as Kafka's TOLERATE_MISSING_FIELDS_WITH_DEFAULTS does
    const revoked = r.remaining > 0 ? readConnectorAssignments(r) : { connectors: [], tasks: [] };
    Object.assign(a, { version, revokedConnectors: revoked.connectors, revokedTasks: revoked.tasks, delay: r.remaining >= 4 ? r.int32() : 0 });
  }
  return a;
}

/**
 * Kafka's EagerAssignor: connectors, then tasks, dealt round-robin over the members sorted by
 * member id.
 */
export function eagerAssign(memberIds: string[], connectors: string[], tasks: Array<{ connector: string; task: number }>): Map<string, { connectors: string[]; tasks: Array<{ connector: string; task: number }> }> {
  const members = [...memberIds].sort();
  const out = new Map(members.map((m) => [m, { connectors: [] as string[], tasks: [] as Array<{ connector: string; task: number }> }]));
  let i = 0;
  for (const c of [...connectors].sort()) out.get(members[i++ % members.length]!)!.connectors.push(c);
  const sorted = [...tasks].sort((a, b) => (a.connector < b.connector ? -1 : a.connector > b.connector ? 1 : a.task - b.task));
  for (const t of sorted) out.get(members[i++ % members.length]!)!.tasks.push(t);
  return out;
}
