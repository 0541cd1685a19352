/**
 * Shared parts of the consumer-group acceptance tests: group members as child processes of three
 * real clients (kafkajs, confluent-kafka, kcat -G) that the test can SIGKILL, each reporting its
 * assignments and the records it processed; and a raw-wire view of the broker's side (numbered
 * records produced, DescribeGroups with the assignments decoded, committed and end offsets).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiKey, ErrorCode, Reader, decodeConsumerProtocolAssignment } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import { KCAT, PYTHON } from '../support/interop.js';
import { WireClient } from '../testkit/wire-client.js';

export type ClientKind = 'kafkajs' | 'confluent-kafka' | 'kcat';

/** Members' session timeout: short, so failure detection is quick (the broker's minimum is lowered to allow it). */
export const SESSION_TIMEOUT_MS = 3000;
/** Members heartbeat every 300 ms. */
export const HEARTBEAT_INTERVAL_MS = 300;
/** Broker settings for these tests (group.min.session.timeout.ms is 6000 by default). */
export const GROUP_BROKER_CONFIG: Record<string, string> = {
  'group.initial.rebalance.delay.ms': '0',
  'group.min.session.timeout.ms': '1000',
  'offsets.topic.num.partitions': '5',
};

const here = dirname(fileURLToPath(import.meta.url));
const compiled = here.includes(join('dist', 'test'));
/** packages/broker */
export const brokerRoot = compiled ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
export const repoRoot = resolve(brokerRoot, '..', '..');
const sourceDir = join(brokerRoot, 'test', 'groups');

export { freePort, startServer, type ServerProcess as Server } from '../support/server-process.js';

/** Why a client cannot run here, or false. */
export function clientMissing(kind: ClientKind): string | false {
  if (kind === 'kcat') return existsSync(KCAT) ? false : `${KCAT} is not installed`;
  if (kind === 'confluent-kafka') return existsSync(PYTHON) ? false : `${PYTHON} is not installed`;
  return false;
}

export interface ProcessedRecord { p: number; o: number; v: string; at: number }

/**
 * A group member in a child process. Its stdout is parsed as it arrives: assignments (each with
 * the time it was seen), processed records, commits.
 */
export class Member {
  readonly child: ChildProcess;
  readonly assignments: Array<{ at: number; partitions: number[] }> = [];
  readonly records: ProcessedRecord[] = [];
  readonly commits: Array<{ p: number; o: number; metadata: string | null }> = [];
  readonly commitErrors: string[] = [];
  /** Records processed whose commit failed: the group may deliver them again (at-least-once). */
  readonly uncommitted = new Set<string>();
  memberId: string | null = null;
  stderr = '';
  readonly exited: Promise<void>;
  private outBuf = '';
  private errBuf = '';

  constructor(readonly kind: ClientKind, readonly clientId: string, file: string, args: string[]) {
    this.child = spawn(file, args, {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, NODE_OPTIONS: undefined },
    });
    this.exited = new Promise((r) => this.child.on('close', () => r()));
    this.child.on('error', (e) => (this.stderr += `spawn error: ${e.message}\n`));
    this.child.stdout!.on('data', (d: Buffer) => {
      this.outBuf += d.toString('utf8');
      let i: number;
      while ((i = this.outBuf.indexOf('\n')) >= 0) {
        const line = this.outBuf.slice(0, i);
        this.outBuf = this.outBuf.slice(i + 1);
        if (line !== '') this.onStdoutLine(line);
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString('utf8');
      this.stderr += s;
      this.errBuf += s;
      let i: number;
      while ((i = this.errBuf.indexOf('\n')) >= 0) {
        const line = this.errBuf.slice(0, i);
        this.errBuf = this.errBuf.slice(i + 1);
        if (this.kind === 'kcat') this.onKcatLog(line);
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The latest assignment, or null before the first. */
  get current(): number[] | null {
    return this.assignments.at(-1)?.partitions ?? null;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal to this child, by its PID. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.alive || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  private onStdoutLine(line: string): void {
    if (this.kind === 'kcat') {
      // -f '%p %o %s\n'
      const m = /^(\d+) (\d+) (\S+)$/.exec(line);
      if (m === null) throw new Error(`kcat ${this.clientId}: unexpected output line ${JSON.stringify(line)}`);
      this.records.push({ p: Number(m[1]), o: Number(m[2]), v: m[3]!, at: Date.now() });
      return;
    }
    const e = JSON.parse(line) as { e: string; p: number; o: number; v: string; partitions: number[]; member?: string; metadata?: string | null; error?: string };
    switch (e.e) {
      case 'assigned':
        this.assignments.push({ at: Date.now(), partitions: [...e.partitions].sort((a, b) => a - b) });
        if (e.member !== undefined) this.memberId = e.member;
        break;
      case 'revoked':
        this.assignments.push({ at: Date.now(), partitions: [] });
        break;
      case 'record':
        this.records.push({ p: e.p, o: e.o, v: e.v, at: Date.now() });
        break;
      case 'committed':
        this.commits.push({ p: e.p, o: e.o, metadata: e.metadata ?? null });
        break;
      case 'commit_error':
        // The members commit each record right after printing it: the failed commit is the last record's.
        this.commitErrors.push(e.error!);
        if (this.records.length > 0) this.uncommitted.add(this.records.at(-1)!.v);
        break;
    }
  }

  /**
   * kcat's own log of librdkafka's rebalance callback (stderr, verbosity 1):
   * `% Group G rebalanced (memberid M): assigned: topic [0], topic [3]` (or `revoked: ...`).
   */
  private onKcatLog(line: string): void {
    const m = /^% Group \S+ rebalanced \(memberid (\S+)\): (assigned|revoked): ?(.*)$/.exec(line);
    if (m === null) return;
    this.memberId = m[1]!;
    const partitions = m[2] === 'revoked' ? [] : [...m[3]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort((a, b) => a - b);
    this.assignments.push({ at: Date.now(), partitions });
  }
}

export interface MemberOptions {
  bootstrap: string;
  group: string;
  topic: string;
  clientId: string;
  sessionTimeoutMs?: number;
  /** The child exits by itself after this long (a safety net; tests kill it first). */
  lifetimeS?: number;
  /** Offset commit metadata (kafkajs only: confluent-kafka 1.7's commit() cannot send any). */
  metadata?: string;
  /** partition.assignment.strategy (confluent-kafka only), e.g. cooperative-sticky. */
  strategy?: string;
}

/** Starts a member of `kind`: commit-after-process for kafkajs and confluent-kafka, auto-commit every 100 ms for kcat. */
export function spawnMember(kind: ClientKind, o: MemberOptions): Member {
  const session = String(o.sessionTimeoutMs ?? SESSION_TIMEOUT_MS);
  const lifetime = String(o.lifetimeS ?? 120);
  switch (kind) {
    case 'kafkajs': {
      const entry = compiled ? [join(here, 'kafkajs-member.js')] : ['--import', 'tsx', join(sourceDir, 'kafkajs-member.ts')];
      return new Member(kind, o.clientId, process.execPath, [...entry, o.bootstrap, o.group, o.topic, o.clientId, session, lifetime, ...(o.metadata !== undefined ? [o.metadata] : [])]);
    }
    case 'confluent-kafka':
      return new Member(kind, o.clientId, PYTHON, [join(sourceDir, 'py', 'group_member.py'), o.bootstrap, o.group, o.topic, o.clientId, session, lifetime, ...(o.strategy !== undefined ? [o.strategy] : [])]);
    case 'kcat':
      // kcat has no commit-after-process mode: librdkafka stores the offset of each record it
      // hands over and auto-commits every 100 ms (and on revoke); -u: unbuffered output.
      return new Member(kind, o.clientId, KCAT, [
        '-G', o.group, '-b', o.bootstrap, '-u', '-f', '%p %o %s\n',
        '-X', `client.id=${o.clientId}`, '-X', `session.timeout.ms=${session}`, '-X', `heartbeat.interval.ms=${HEARTBEAT_INTERVAL_MS}`,
        '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=100', '-X', 'fetch.wait.max.ms=100',
        o.topic,
      ]);
  }
}

/** Kills every member still running (by PID) and waits for them to exit. */
export async function killAll(members: readonly Member[]): Promise<void> {
  for (const m of members) m.kill('SIGKILL');
  await Promise.all(members.map((m) => Promise.race([m.exited, new Promise((r) => setTimeout(r, 5000).unref())])));
}

/** Resolves when `check` holds (polled every 20 ms); fails after `ms` with `detail()`. */
export async function until(what: string, check: () => boolean, ms: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Async variant of `until`. */
export async function untilAsync(what: string, check: () => Promise<boolean>, ms: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Members' latest assignments: `n` members each holding `each` partitions, disjoint, covering 0..total-1 (idle members: `idle`). */
export function balanced(members: readonly Member[], total: number, each: number, idle = 0): boolean {
  const cur = members.map((m) => m.current);
  if (cur.some((c) => c === null)) return false;
  const all = cur.flatMap((c) => c!);
  return cur.filter((c) => c!.length === 0).length === idle
    && cur.every((c) => c!.length === 0 || c!.length === each)
    && all.length === total && new Set(all).size === total;
}

export function describeMembers(members: readonly Member[]): string {
  return members.map((m) => `${m.kind} ${m.clientId} pid ${m.child.pid} alive=${m.alive} assignments=${JSON.stringify(m.assignments.map((a) => a.partitions))} records=${m.records.length} commits=${m.commits.length} commitErrors=${m.commitErrors.length}\n  stderr: ${m.stderr.slice(-600).replace(/\n/g, '\n  ')}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// The broker's side, over the raw wire

export function recordValue(n: number): string {
  return `r-${String(n).padStart(6, '0')}`;
}

/** Produces records numbered from..from+count-1 (value `r-000123`), record n to partition n % partitions. */
export async function produceNumbered(port: number, topic: string, partitions: number, from: number, count: number): Promise<string[]> {
  const c = await WireClient.connect(port, '127.0.0.1', 'groups-producer');
  try {
    const byPartition = new Map<number, string[]>();
    for (let n = from; n < from + count; n++) {
      const p = n % partitions;
      byPartition.set(p, [...(byPartition.get(p) ?? []), recordValue(n)]);
    }
    for (const [p, values] of byPartition) {
      const batch = encodeRecordBatch(createRecordBatch(values.map((v) => ({ key: null, value: Buffer.from(v) }))));
      const r = await c.send(ApiKey.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: p, records: batch }] }] });
      assert.equal(r.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE, `produce to ${topic}-${p}`);
    }
    return Array.from({ length: count }, (_, i) => recordValue(from + i));
  } finally {
    c.close();
  }
}

export interface DescribedMember { memberId: string; clientId: string; partitions: number[] }
export interface DescribedGroup { state: string; protocolType: string; protocol: string; members: DescribedMember[] }

/** DescribeGroups v5, each member's assignment decoded with the generated ConsumerProtocolAssignment codec. */
export async function describeGroup(port: number, group: string, topic: string): Promise<DescribedGroup> {
  const c = await WireClient.connect(port, '127.0.0.1', 'groups-admin');
  try {
    const r = await c.send(ApiKey.DescribeGroups, 5, { groups: [group], includeAuthorizedOperations: false });
    const g = r.groups[0];
    assert.equal(g.errorCode, ErrorCode.NONE, `describe ${group}`);
    return {
      state: g.groupState, protocolType: g.protocolType, protocol: g.protocolData,
      members: g.members.map((m: { memberId: string; clientId: string; memberAssignment: Buffer }) => ({
        memberId: m.memberId, clientId: m.clientId, partitions: decodeAssignment(m.memberAssignment, topic),
      })).sort((a: DescribedMember, b: DescribedMember) => a.clientId.localeCompare(b.clientId)),
    };
  } finally {
    c.close();
  }
}

/** The partitions of `topic` in a consumer-protocol assignment (empty bytes: none). */
export function decodeAssignment(bytes: Buffer, topic: string): number[] {
  if (bytes.length === 0) return [];
  const r = new Reader(bytes);
  const version = r.int16();
  const a = decodeConsumerProtocolAssignment(r, Math.min(version, 3));
  return a.assignedPartitions.filter((t) => t.topic === topic).flatMap((t) => t.partitions).sort((x, y) => x - y);
}

/** Committed offsets of a group (OffsetFetch v5): partition -> offset (-1 when none), plus metadata. */
export async function committedOffsets(port: number, group: string, topic: string, partitions: number): Promise<Array<{ offset: number; metadata: string | null }>> {
  const c = await WireClient.connect(port, '127.0.0.1', 'groups-admin');
  try {
    const r = await c.send(ApiKey.OffsetFetch, 5, { groupId: group, topics: [{ name: topic, partitionIndexes: Array.from({ length: partitions }, (_, i) => i) }] });
    assert.equal(r.errorCode, ErrorCode.NONE, `offset fetch ${group}`);
    const out = Array.from({ length: partitions }, () => ({ offset: -1, metadata: null as string | null }));
    for (const p of r.topics[0]?.partitions ?? []) {
      assert.equal(p.errorCode, ErrorCode.NONE);
      out[p.partitionIndex] = { offset: Number(p.committedOffset), metadata: p.metadata };
    }
    return out;
  } finally {
    c.close();
  }
}

/** Log end offsets (ListOffsets v1, latest). */
export async function endOffsets(port: number, topic: string, partitions: number): Promise<number[]> {
  const c = await WireClient.connect(port, '127.0.0.1', 'groups-admin');
  try {
    const r = await c.send(ApiKey.ListOffsets, 1, { replicaId: -1, topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, i) => ({ partitionIndex: i, timestamp: -1n })) }] });
    return r.topics[0].partitions.sort((a: { partitionIndex: number }, b: { partitionIndex: number }) => a.partitionIndex - b.partitionIndex).map((p: { errorCode: number; offset: bigint }) => {
      assert.equal(p.errorCode, ErrorCode.NONE);
      return Number(p.offset);
    });
  } finally {
    c.close();
  }
}

/** Whether the group's committed offsets have reached the log end of every partition. */
export async function allCommitted(port: number, group: string, topic: string, partitions: number): Promise<boolean> {
  const [committed, end] = await Promise.all([committedOffsets(port, group, topic, partitions), endOffsets(port, topic, partitions)]);
  return committed.every((c, i) => c.offset === end[i]);
}

/** Values seen more than once across members (with the members that saw them). */
export function duplicates(members: readonly Member[]): string[] {
  const seen = new Map<string, string[]>();
  for (const m of members) for (const r of m.records) seen.set(r.v, [...(seen.get(r.v) ?? []), `${m.clientId}@${r.p}:${r.o}`]);
  return [...seen].filter(([, who]) => who.length > 1).map(([v, who]) => `${v} (${who.join(', ')})`);
}

export function consumedValues(members: readonly Member[]): Set<string> {
  return new Set(members.flatMap((m) => m.records.map((r) => r.v)));
}
