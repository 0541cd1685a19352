/**
 * Connect's group protocol (protocol type "connect", protocol name "default" = eager, V0):
 * member metadata is {version int16, url string, config-offset int64}; an assignment is
 * {version int16, error int16, leader string, leader-url string, config-offset int64,
 * assignment [{connector string, tasks [int32]}]}, where task -1 stands for the connector
 * instance itself. Strings and arrays use the classic (non-compact) encodings.
 */
import { Reader, Writer } from '@samsa/protocol';

export const CONNECT_PROTOCOL_TYPE = 'connect';
export const EAGER_PROTOCOL = 'default';
export const CONNECT_PROTOCOL_V0 = 0;
export const CONNECTOR_TASK = -1;
export const CONFIG_MISMATCH = 1;

export interface WorkerState {
  url: string;
  configOffset: bigint;
}

export interface ConnectAssignment {
  error: number;
  leader: string;
  leaderUrl: string;
  configOffset: bigint;
  connectors: string[];
  tasks: Array<{ connector: string; task: number }>;
}

export function encodeWorkerState(s: WorkerState): Buffer {
  return new Writer().int16(CONNECT_PROTOCOL_V0).string(s.url).int64(s.configOffset).toBuffer();
}

function checkVersion(version: number): void {
  if (version < CONNECT_PROTOCOL_V0) throw new Error(`Unsupported subscription version: ${version}`);
}

export function decodeWorkerState(buf: Buffer): WorkerState {
  const r = new Reader(buf);
  checkVersion(r.int16());
  return { url: r.string(), configOffset: r.int64() };
}

export function encodeAssignment(a: ConnectAssignment): Buffer {
  const byConnector = new Map<string, number[]>();
  for (const c of a.connectors) byConnector.set(c, [CONNECTOR_TASK]);
  for (const t of a.tasks) {
    let l = byConnector.get(t.connector);
    if (l === undefined) byConnector.set(t.connector, (l = []));
    l.push(t.task);
  }
  return new Writer()
    .int16(CONNECT_PROTOCOL_V0)
    .int16(a.error)
    .string(a.leader)
    .string(a.leaderUrl)
    .int64(a.configOffset)
    .array([...byConnector], (w, [connector, tasks]) => {
      w.string(connector).array(tasks, (w2, t) => w2.int32(t));
    })
    .toBuffer();
}

export function decodeAssignment(buf: Buffer): ConnectAssignment {
  const r = new Reader(buf);
  checkVersion(r.int16());
  const error = r.int16();
  const leader = r.string();
  const leaderUrl = r.string();
  const configOffset = r.int64();
  const connectors: string[] = [];
  const tasks: Array<{ connector: string; task: number }> = [];
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
  return { error, leader, leaderUrl, configOffset, connectors, tasks };
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
