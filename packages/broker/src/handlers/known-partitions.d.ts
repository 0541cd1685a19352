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
export declare function splitUnknownPartitions<T extends TopicRequest<P>, P extends {
    partitionIndex: number;
}>(topics: readonly T[], image: MetadataImage): {
    known: T[];
    unknown: Map<string, PartitionError[]>;
};
/** The coordinator's per-topic results with the unknown partitions' errors added (one entry per topic). */
export declare function withUnknownPartitions<R extends {
    name: string;
    partitions: PartitionError[];
}>(results: readonly R[], unknown: ReadonlyMap<string, PartitionError[]>, make: (name: string, partitions: PartitionError[]) => R): R[];
export {};
