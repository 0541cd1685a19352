import { MetadataImage, type MetadataDelta } from './image.js';
import type { MetadataStore, VersionedValue } from './metadata-store.js';
export type MetadataListener = (image: MetadataImage, delta: MetadataDelta) => void;
export declare class ClusterMetadata {
    private readonly store;
    private current;
    private readonly raw;
    private dirtyTopics;
    private clusterDirty;
    private adminDirty;
    private brokerConfigsDirty;
    private flushScheduled;
    private listeners;
    private waiters;
    private watchHandle;
    constructor(store: MetadataStore, clusterId: string);
    get image(): MetadataImage;
    /** The raw stored value of a key as last seen (the controller reads revisions through the store itself). */
    rawValue(key: string): VersionedValue | undefined;
    start(): Promise<void>;
    stop(): void;
    onChange(listener: MetadataListener): () => void;
    /** Resolves when pred holds for the image, or after timeoutMs (then returns false). */
    waitFor(pred: (i: MetadataImage) => boolean, timeoutMs: number): Promise<boolean>;
    /** Session lost: stop leading anything until rejoin() has re-read the store. */
    fence(): void;
    /** After the broker re-registered on a new session: re-read everything, then lift the fence. */
    rejoin(): Promise<void>;
    private onEvent;
    private record;
    private flush;
    private publish;
    private buildBrokers;
    private buildTopic;
}
