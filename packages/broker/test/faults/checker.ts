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
  /** The consumer group. */
  g: string;
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
  /** Each group's committed offsets read after healing, by `group/partition` (absent: none). */
  committed: Map<string, number>;
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
  const maxCommitted = new Map<string, number>();
  for (const c of input.commits) maxCommitted.set(`${c.g}/${c.p}`, Math.max(maxCommitted.get(`${c.g}/${c.p}`) ?? -1, c.o));
  for (const [gp, o] of maxCommitted) {
    const now = input.committed.get(gp) ?? -1001;
    if (now < o) committedLost.push(`${gp}: committed ${o} acknowledged, ${now < 0 ? 'none' : now} after healing`);
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

export interface ExactlyOnceReport {
  inputs: number;
  outputs: number;
  /** Input records below the group's committed offset that are not in the output. */
  missing: string[];
  /** Input records in the output more than once. */
  duplicated: string[];
  /** Output records that are no input record. */
  unexpected: string[];
  /** Input records at or past the committed offset that are in the output (outputs committed without their offsets). */
  aheadOfOffsets: string[];
  /** Partitions whose committed offset stops short of the input's end: not all input was processed. */
  unfinished: string[];
  ok: boolean;
}

/**
 * The exactly-once check of a consume-transform-produce run: the output topic, read with
 * read_committed, holds each input record exactly once, and the group's committed input
 * offsets (committed in the same transactions) cover exactly the inputs that are in the output.
 */
export function checkExactlyOnce(input: Rec[], output: Rec[], committed: Map<number, number>, inputEnd: Map<number, number>): ExactlyOnceReport {
  const inputs = new Map(input.map((r) => [r.v, r]));
  const seen = new Map<string, Rec[]>();
  for (const r of output) {
    const list = seen.get(r.v);
    if (list === undefined) seen.set(r.v, [r]);
    else list.push(r);
  }
  const missing: string[] = [];
  const aheadOfOffsets: string[] = [];
  for (const r of input) {
    const upTo = committed.get(r.p) ?? -1;
    const found = seen.get(r.v);
    if (r.o < upTo && found === undefined) missing.push(`${r.v} (input ${r.p}@${r.o}, committed ${upTo})`);
    if (r.o >= upTo && found !== undefined) aheadOfOffsets.push(`${r.v} (input ${r.p}@${r.o}, committed ${upTo}, output ${found.map((f) => `${f.p}@${f.o}`).join(',')})`);
  }
  const duplicated = [...seen].filter(([, rs]) => rs.length > 1).map(([v, rs]) => `${v} at ${rs.map((r) => `${r.p}@${r.o}`).join(',')}`);
  const unexpected = output.filter((r) => !inputs.has(r.v)).map((r) => `${r.v} at ${r.p}@${r.o}`);
  const unfinished = [...inputEnd].filter(([p, end]) => (committed.get(p) ?? -1) < end).map(([p, end]) => `partition ${p}: committed ${committed.get(p) ?? 'none'}, input ends at ${end}`);
  return {
    inputs: input.length, outputs: output.length, missing, duplicated, unexpected, aheadOfOffsets, unfinished,
    ok: missing.length + duplicated.length + unexpected.length + aheadOfOffsets.length + unfinished.length === 0,
  };
}
