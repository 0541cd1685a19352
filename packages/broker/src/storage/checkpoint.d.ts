export declare const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
/** The high watermarks of the partitions in a log dir (written by the ReplicaManager). */
export declare const REPLICATION_OFFSET_CHECKPOINT = "replication-offset-checkpoint";
export declare const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
export declare const CLEAN_SHUTDOWN_FILE = ".kafka_cleanshutdown";
export type OffsetCheckpoint = Map<string, number>;
/** Key of a topic-partition in checkpoint maps. Topic names cannot contain spaces. */
export declare const partitionKey: (topic: string, partition: number) => string;
export declare function readCheckpoint(path: string): OffsetCheckpoint;
export declare function writeCheckpoint(path: string, entries: OffsetCheckpoint): void;
/** Writes `<path>.tmp`, fsyncs it and renames it over `path` (Kafka's CheckpointFile). */
export declare function writeFileDurably(path: string, text: string): void;
