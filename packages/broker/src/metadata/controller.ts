/**
 * The controller (Kafka's ZooKeeper-era KafkaController, reduced to metadata): every broker
 * runs one; the one that creates the ephemeral /controller key leads, bumps /controller_epoch
 * with a CAS and from then on writes partition state only in transactions that check the epoch
 * key's revision, so a controller that lost its seat cannot overwrite its successor's decisions.
 *
 * What it does, each time the cluster image changes (one pass at a time, re-run when more
 * changes arrived meanwhile):
 * - new partitions (a topic written by any broker or by `kafka-topics --zookeeper`) get their
 *   state: the first live replica leads, live replicas form the ISR;
 * - a leader whose registration disappeared is replaced by the first replica (in assignment
 *   order) of the ISR that is alive; dead brokers leave the ISR (never below one member, as
 *   Kafka keeps the last ISR member of a leaderless partition); leader epoch + 1;
 * - a returning replica rejoins the ISR (no data to catch up yet: replication is issue 11) and
 *   a leaderless partition elects it;
 * - topics queued under /admin/delete_topics are deleted (assignment, states, config).
 */
import type { Logger } from '../util/log.js';
import type { ClusterMetadata } from './cluster-metadata.js';
import { decodePartitionState, decodeTopic, encodeController, encodePartitionState, Paths, type PartitionState } from './kafka-layout.js';
import { RevisionMismatchError, type MetadataStore, type TxnOp } from './metadata-store.js';

export class Controller {
  private epoch = -1;
  private epochRevision = -1;
  private active = false;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private unsubscribe: (() => void) | null = null;
  /** When this broker became controller (ms since epoch), for failover measurements. */
  activeSince = 0;

  constructor(
    private readonly store: MetadataStore,
    private readonly metadata: ClusterMetadata,
    private readonly nodeId: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get isActive(): boolean {
    return this.active;
  }
  get controllerEpoch(): number {
    return this.epoch;
  }

  start(): void {
    this.unsubscribe = this.metadata.onChange(() => this.trigger());
    this.trigger();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.active = false;
  }

  /** The session is gone: so is our seat (the ephemeral /controller key). */
  resign(): void {
    if (this.active) this.log.info(`[Controller id=${this.nodeId}] Resigning: the metadata store session was lost`);
    this.active = false;
  }

  /** Runs a pass now, or once more after the running one. */
  trigger(): void {
    if (this.stopped) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (e) {
          if (e instanceof RevisionMismatchError) {
            this.again = true;
            await new Promise((r) => setTimeout(r, 50));
          } else if (!this.stopped) {
            this.log.warn(`[Controller id=${this.nodeId}] pass failed: ${(e as Error).message}`);
            await new Promise((r) => setTimeout(r, 500));
            this.again = true;
          }
        }
      } while (this.again && !this.stopped);
      this.running = null;
    })();
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  private async pass(): Promise<void> {
    if (this.stopped || this.metadata.image.fenced) return;
    if (!this.active) {
      if (this.metadata.image.controllerId !== -1 && this.metadata.image.controllerId !== this.nodeId) return;
      if (!(await this.elect())) return;
    } else if (this.metadata.image.controllerId !== -1 && this.metadata.image.controllerId !== this.nodeId) {
      this.log.info(`[Controller id=${this.nodeId}] Broker ${this.metadata.image.controllerId} is the controller now; resigning`);
      this.active = false;
      return;
    }
    await this.reconcile();
  }

  private async elect(): Promise<boolean> {
    try {
      await this.store.put(Paths.controller, encodeController(this.nodeId, this.now()), { expectedRevision: 0, ephemeral: true });
    } catch (e) {
      if (e instanceof RevisionMismatchError) return false;
      throw e;
    }
    // Won the seat: take the next epoch with a CAS so two winners in a row cannot share one.
    for (;;) {
      const cur = await this.store.get(Paths.controllerEpoch);
      const next = cur === null ? 1 : Number(cur.value) + 1;
      try {
        this.epochRevision = await this.store.put(Paths.controllerEpoch, String(next), { expectedRevision: cur?.revision ?? 0 });
        this.epoch = next;
        break;
      } catch (e) {
        if (!(e instanceof RevisionMismatchError)) throw e;
      }
    }
    this.active = true;
    this.activeSince = this.now();
    this.log.info(`[Controller id=${this.nodeId}] ${this.nodeId} successfully elected as the controller. Epoch incremented to ${this.epoch} and epoch zk version is now ${this.epochRevision}`);
    return true;
  }

  /** A write the controller makes: fenced by the epoch key's revision. */
  private async write(ops: TxnOp[]): Promise<void> {
    try {
      await this.store.txn([{ op: 'check', key: Paths.controllerEpoch, revision: this.epochRevision }, ...ops]);
    } catch (e) {
      if (e instanceof RevisionMismatchError) {
        const cur = await this.store.get(Paths.controllerEpoch);
        if (cur === null || cur.revision !== this.epochRevision) {
          this.log.warn(`[Controller id=${this.nodeId}] Controller epoch moved on (${cur?.value ?? 'gone'}): this broker is no longer the controller`);
          this.active = false;
          return;
        }
      }
      throw e;
    }
  }

  private async reconcile(): Promise<void> {
    const live = new Set(this.metadata.image.brokers.map((b) => b.nodeId));
    for (const d of await this.store.list(Paths.deleteTopics)) {
      if (!this.active) return;
      const topic = d.key.slice(Paths.deleteTopics.length + 1);
      await this.write([
        { op: 'delete', key: Paths.topic(topic), recursive: true },
        { op: 'delete', key: Paths.topicConfig(topic) },
        { op: 'delete', key: d.key },
      ]);
      this.log.info(`[Controller id=${this.nodeId}] Deleted topic ${topic}`);
    }
    const entries = await this.store.list(Paths.topics);
    const byKey = new Map(entries.map((e) => [e.key, e]));
    for (const e of entries) {
      if (!this.active) return;
      const parts = e.key.split('/');
      if (parts.length !== 4) continue;
      const topic = parts[3]!;
      const assignment = decodeTopic(e.value);
      const ops: TxnOp[] = [];
      assignment.partitions.forEach((replicas, p) => {
        const key = Paths.partitionState(topic, p);
        const cur = byKey.get(key);
        const state = cur === undefined ? null : decodePartitionState(cur.value);
        const next = this.decide(replicas, state, live);
        if (next === null) return;
        ops.push({ op: 'put', key, value: encodePartitionState(next), expectedRevision: cur?.revision ?? 0 });
        this.log.info(`[Controller id=${this.nodeId}] Partition ${topic}-${p}: leader ${next.leader}, leader epoch ${next.leaderEpoch}, isr [${next.isr.join(',')}]`);
      });
      if (ops.length > 0) await this.write(ops);
    }
  }

  /** The partition's next state, or null when it needs no change. */
  private decide(replicas: readonly number[], state: PartitionState | null, live: ReadonlySet<number>): PartitionState | null {
    const liveReplicas = replicas.filter((r) => live.has(r));
    if (state === null) {
      return { leader: liveReplicas[0] ?? -1, leaderEpoch: 0, isr: liveReplicas.length > 0 ? liveReplicas : [...replicas], controllerEpoch: this.epoch };
    }
    const liveIsr = state.isr.filter((r) => live.has(r));
    const leaderAlive = state.leader >= 0 && live.has(state.leader);
    const leader = leaderAlive ? state.leader : replicas.find((r) => liveIsr.includes(r)) ?? -1;
    // With a leader, replicas that came back rejoin the ISR (followers have nothing to catch up
    // until replication exists); a leaderless partition waits for an ISR member (no unclean election).
    const isr = leader >= 0 ? [...liveIsr, ...liveReplicas.filter((r) => !liveIsr.includes(r))] : liveIsr;
    // A leaderless partition keeps its last ISR member on record, as Kafka does.
    const nextIsr = isr.length > 0 ? isr : state.leader >= 0 ? [state.leader] : state.isr;
    const changed = leader !== state.leader || !sameSet(nextIsr, state.isr);
    if (!changed) return null;
    return { leader, leaderEpoch: leader !== state.leader ? state.leaderEpoch + 1 : state.leaderEpoch, isr: nextIsr, controllerEpoch: this.epoch };
  }
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

export type { PartitionState };
