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
import { type PartitionState } from './kafka-layout.js';
import { type MetadataStore } from './metadata-store.js';
export declare class Controller {
    private readonly store;
    private readonly metadata;
    private readonly nodeId;
    private readonly log;
    private readonly now;
    private epoch;
    private epochRevision;
    private active;
    private running;
    private again;
    private stopped;
    private unsubscribe;
    /** When this broker became controller (ms since epoch), for failover measurements. */
    activeSince: number;
    constructor(store: MetadataStore, metadata: ClusterMetadata, nodeId: number, log: Logger, now?: () => number);
    get isActive(): boolean;
    get controllerEpoch(): number;
    start(): void;
    stop(): void;
    /** The session is gone: so is our seat (the ephemeral /controller key). */
    resign(): void;
    /** Runs a pass now, or once more after the running one. */
    trigger(): void;
    /** Resolves when no pass is running (tests). */
    idle(): Promise<void>;
    private pass;
    private elect;
    /** A write the controller makes: fenced by the epoch key's revision. */
    private write;
    private reconcile;
    /** The partition's next state, or null when it needs no change. */
    private decide;
}
export type { PartitionState };
