/**
 * CreateTopics and CreatePartitions treat a topic named twice in one request alike: every copy
 * is refused with one INVALID_REQUEST result, and the other topics are handled in request order.
 */
/**
 * One result per distinct name, in request order: `duplicate` for a name given more than once,
 * else `each`. Sequential, so a later topic sees what the earlier ones changed.
 */
export declare function perDistinctName<T extends {
    name: string;
}, R>(items: readonly T[], duplicate: (name: string) => R, each: (item: T) => Promise<R>): Promise<R[]>;
