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
export declare function assignReplicas(brokers: readonly PlacementBroker[], partitions: number, replicationFactor: number, opts?: PlacementOptions): number[][];
