/**
 * Kafka's check before OffsetCommit and OffsetDelete reach the group coordinator: partitions of
 * topics that do not exist, or beyond a topic's partition count, are answered
 * UNKNOWN_TOPIC_OR_PARTITION and never written; the rest go on. Results are merged per topic.
 */
import { ErrorCode } from '@samsa/protocol';
import type { MetadataImage } from '../metadata/image.js';

interface TopicRequest<P> {
  name: string;
  partitions: P[];
}

export interface PartitionError {
  partitionIndex: number;
  errorCode: number;
}

/** Splits a request's topics into those whose partitions exist and the errors for the others. */
export function splitUnknownPartitions<T extends TopicRequest<P>, P extends { partitionIndex: number }>(
  topics: readonly T[],
  image: MetadataImage,
): { known: T[]; unknown: Map<string, PartitionError[]> } {
  const known: T[] = [];
  const unknown = new Map<string, PartitionError[]>();
  for (const t of topics) {
    const count = image.topicsByName.get(t.name)?.partitions.length ?? 0;
    const valid = t.partitions.filter((p) => p.partitionIndex >= 0 && p.partitionIndex < count);
    if (valid.length < t.partitions.length) {
      const errors = unknown.get(t.name) ?? [];
      for (const p of t.partitions) if (!(p.partitionIndex >= 0 && p.partitionIndex < count)) errors.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      unknown.set(t.name, errors);
    }
    if (valid.length > 0) known.push({ ...t, partitions: valid });
  }
  return { known, unknown };
}

/** The coordinator's per-topic results with the unknown partitions' errors added (one entry per topic). */
export function withUnknownPartitions<R extends { name: string; partitions: PartitionError[] }>(results: readonly R[], unknown: ReadonlyMap<string, PartitionError[]>, make: (name: string, partitions: PartitionError[]) => R): R[] {
  const out = [...results];
  for (const [name, errors] of unknown) {
    const existing = out.find((r) => r.name === name);
    if (existing !== undefined) existing.partitions.push(...errors);
    else out.push(make(name, errors));
  }
  return out;
}
