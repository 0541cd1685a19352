/**
 * The fault suite's checker: from a run's history (what the producers had acknowledged, what
 * the consumer group had committed) and the log read back after healing, the violations of
 * Kafka's promises: acknowledged records lost, duplicated, reordered within a key, offsets that
 * moved (a record found at another offset than acknowledged, a partition that ends below an
 * acknowledged offset), committed offsets lost; and the recovery time after each fault.
 */

export interface Ack {
  k: string;
  v: string;
  p: number;
  /** null: acknowledged without an offset (librdkafka can report a delivery so). */
  o: number | null;
  sent: number | null;
  ts: number;
}
export interface Rec {
  p: number;
  o: number;
  k: string;
  v: string;
}
export interface Commit {
  p: number;
  o: number;
  ts: number;
}
export interface FaultWindow {
  kind: string;
  startMs: number;
  endMs: number;
}

export interface CheckInput {
  acks: Ack[];
  records: Rec[];
  commits: Commit[];
  /** The group's committed offsets read after healing (-1001: none). */
  committed: Map<number, number>;
  faults: FaultWindow[];
}

export interface CheckReport {
  acknowledged: number;
  /** Acknowledged without an offset: checked for loss and duplicates, not for the offset. */
  withoutOffset: number;
  lost: string[];
  duplicated: string[];
  reordered: string[];
  offsetsMoved: string[];
  committedLost: string[];
  /** Per fault: ms from its start to the first ack of a record sent after it (null: none). */
  recoveryMs: Array<number | null>;
  ok: boolean;
}

/** Values are `writer-seq`: the sequence orders one writer's records. */
function seqOf(v: string): { writer: string; seq: number } {
  const i = v.lastIndexOf('-');
  return { writer: v.slice(0, i), seq: Number(v.slice(i + 1)) };
}

export function check(input: CheckInput): CheckReport {
  const found = new Map<string, Rec[]>();
  for (const r of input.records) {
    const list = found.get(r.v);
    if (list === undefined) found.set(r.v, [r]);
    else list.push(r);
  }
  const lost: string[] = [];
  const offsetsMoved: string[] = [];
  let withoutOffset = 0;
  for (const a of input.acks) {
    const at = found.get(a.v);
    if (at === undefined) lost.push(`${a.v} (key ${a.k}, acknowledged at ${a.p}@${a.o})`);
    else if (a.o === null) withoutOffset++;
    else if (!at.some((r) => r.p === a.p && r.o === a.o)) offsetsMoved.push(`${a.v} acknowledged at ${a.p}@${a.o}, found at ${at.map((r) => `${r.p}@${r.o}`).join(',')}`);
  }
  const duplicated = [...found].filter(([, rs]) => rs.length > 1).map(([v, rs]) => `${v} at ${rs.map((r) => `${r.p}@${r.o}`).join(',')}`);

  // Within a partition, one writer's records of one key appear in send order.
  const reordered: string[] = [];
  const lastSeq = new Map<string, { seq: number; o: number }>();
  for (const r of [...input.records].sort((x, y) => x.p - y.p || x.o - y.o)) {
    const { writer, seq } = seqOf(r.v);
    const id = `${r.p}/${r.k}/${writer}`;
    const prev = lastSeq.get(id);
    if (prev !== undefined && seq < prev.seq) reordered.push(`${r.v} at ${r.p}@${r.o} after ${writer}-${prev.seq} at ${r.p}@${prev.o}`);
    lastSeq.set(id, { seq, o: r.o });
  }

  const committedLost: string[] = [];
  const maxCommitted = new Map<number, number>();
  for (const c of input.commits) maxCommitted.set(c.p, Math.max(maxCommitted.get(c.p) ?? -1, c.o));
  for (const [p, o] of maxCommitted) {
    const now = input.committed.get(p) ?? -1001;
    if (now < o) committedLost.push(`partition ${p}: committed ${o} acknowledged, ${now < 0 ? 'none' : now} after healing`);
  }

  const acksBySent = input.acks.filter((a) => a.sent !== null).sort((x, y) => x.ts - y.ts);
  const recoveryMs = input.faults.map((f) => {
    const first = acksBySent.find((a) => a.sent! >= f.startMs);
    return first === undefined ? null : first.ts - f.startMs;
  });
  return {
    acknowledged: input.acks.length, withoutOffset, lost, duplicated, reordered, offsetsMoved, committedLost, recoveryMs,
    ok: lost.length + duplicated.length + reordered.length + offsetsMoved.length + committedLost.length === 0,
  };
}
