/**
 * Kafka's replica placement (AdminUtils.assignReplicasToBrokers): spread the partition leaders
 * round-robin from a random start, put each follower at an increasing shift from the leader so
 * replicas spread evenly, and when every broker has a rack, alternate racks so each partition's
 * replicas land on as many racks as possible.
 */
import { TopicOperationError } from './errors.js';

export interface PlacementBroker {
  id: number;
  rack: string | null;
}

export interface PlacementOptions {
  /** Kafka's fixedStartIndex (tests); random otherwise. */
  startIndex?: number;
  /** First partition id to assign (CreatePartitions adds from the current count). */
  startPartition?: number;
  random?: () => number;
}

function replicaIndex(first: number, secondReplicaShift: number, replica: number, nBrokers: number): number {
  const shift = 1 + ((secondReplicaShift + replica) % (nBrokers - 1));
  return (first + shift) % nBrokers;
}

export function assignReplicas(brokers: readonly PlacementBroker[], partitions: number, replicationFactor: number, opts: PlacementOptions = {}): number[][] {
  if (partitions <= 0) throw new TopicOperationError('INVALID_PARTITIONS', 'Number of partitions must be larger than 0.');
  if (replicationFactor <= 0) throw new TopicOperationError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0.');
  if (replicationFactor > brokers.length) {
    throw new TopicOperationError('INVALID_REPLICATION_FACTOR', `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`);
  }
  const random = opts.random ?? Math.random;
  const sorted = [...brokers].sort((a, b) => a.id - b.id);
  const withRack = sorted.filter((b) => b.rack !== null).length;
  if (withRack === sorted.length && withRack > 0) return assignRackAware(sorted, partitions, replicationFactor, opts, random);
  if (withRack > 0) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', 'Not all brokers have rack information for replica rack aware assignment.');
  const ids = sorted.map((b) => b.id);
  const n = ids.length;
  const startIndex = opts.startIndex ?? Math.floor(random() * n);
  let nextReplicaShift = opts.startIndex ?? Math.floor(random() * n);
  const out: number[][] = [];
  let partition = Math.max(0, opts.startPartition ?? 0);
  for (let i = 0; i < partitions; i++, partition++) {
    if (partition > 0 && partition % n === 0) nextReplicaShift++;
    const first = (partition + startIndex) % n;
    const replicas = [ids[first]!];
    for (let j = 0; j < replicationFactor - 1; j++) replicas.push(ids[replicaIndex(first, nextReplicaShift, j, n)]!);
    out.push(replicas);
  }
  return out;
}

/** Brokers ordered so consecutive entries are on different racks (getRackAlternatedBrokerList). */
function rackAlternated(brokers: readonly PlacementBroker[]): PlacementBroker[] {
  const byRack = new Map<string, PlacementBroker[]>();
  for (const b of brokers) {
    const list = byRack.get(b.rack!) ?? [];
    list.push(b);
    byRack.set(b.rack!, list);
  }
  const racks = [...byRack.keys()].sort();
  const cursors = new Map(racks.map((r) => [r, 0]));
  const out: PlacementBroker[] = [];
  let rackIndex = 0;
  while (out.length < brokers.length) {
    const rack = racks[rackIndex]!;
    const list = byRack.get(rack)!;
    const at = cursors.get(rack)!;
    if (at < list.length) {
      out.push(list[at]!);
      cursors.set(rack, at + 1);
    }
    rackIndex = (rackIndex + 1) % racks.length;
  }
  return out;
}

function assignRackAware(brokers: readonly PlacementBroker[], partitions: number, replicationFactor: number, opts: PlacementOptions, random: () => number): number[][] {
  const arranged = rackAlternated(brokers);
  const n = arranged.length;
  const numRacks = new Set(arranged.map((b) => b.rack)).size;
  const startIndex = opts.startIndex ?? Math.floor(random() * n);
  let nextReplicaShift = opts.startIndex ?? Math.floor(random() * n);
  const out: number[][] = [];
  let partition = Math.max(0, opts.startPartition ?? 0);
  for (let i = 0; i < partitions; i++, partition++) {
    if (partition > 0 && partition % n === 0) nextReplicaShift++;
    const first = (partition + startIndex) % n;
    const leader = arranged[first]!;
    const replicas = [leader.id];
    const racks = new Set([leader.rack]);
    const used = new Set([leader.id]);
    let k = 0;
    for (let j = 0; j < replicationFactor - 1; j++) {
      for (;;) {
        const b = arranged[replicaIndex(first, nextReplicaShift * numRacks, k, n)]!;
        k++;
        if ((!racks.has(b.rack) || racks.size === numRacks) && (!used.has(b.id) || used.size === n)) {
          replicas.push(b.id);
          racks.add(b.rack);
          used.add(b.id);
          break;
        }
      }
    }
    out.push(replicas);
  }
  return out;
}
