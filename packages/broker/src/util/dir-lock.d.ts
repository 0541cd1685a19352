export declare const LOCK_FILE = ".lock";
export declare class KafkaException extends Error {
    readonly name = "KafkaException";
}
export declare function lockRefusedMessage(dir: string): string;
/** A lock on one log directory; release() on clean shutdown. */
export declare class DirLock {
    readonly dir: string;
    private readonly key;
    private constructor();
    /** Takes the lock or throws KafkaException with Kafka's message. */
    static acquire(dir: string): DirLock;
    private static held;
    /** Removes the lock file if it is still ours. */
    release(): void;
}
