/**
 * What Samsa does with each broker config key it accepts. A setting that is accepted and
 * silently does nothing is dangerous (an authorizer that authorizes nothing, a throttle that
 * throttles nothing), so every key in BROKER_CONFIG_DEFS is in exactly one class here:
 *
 * - implemented: the broker honours it (every key not listed below);
 * - refused: a value other than Kafka's default stops the broker at startup (and is refused
 *   as a dynamic update) with a message saying why;
 * - inert: it has no effect by design in Samsa (thread pools of a one-event-loop process,
 *   socket buffer sizes Node cannot set, transaction-log settings while transactions are
 *   refused at use); a non-default value is accepted, so stock Kafka configs start, and
 *   logged as a WARN at startup (except for the transaction log's settings, which Kafka's
 *   quick-start config sets and whose feature is itself refused at use);
 * - owned elsewhere: keys whose meaning another part of the project is giving them now
 *   (cluster membership, security); they are left to those changes.
 *
 * config-support.test.ts lists every key with its class, so a new key must be placed.
 */
export type ConfigSupport = {
    kind: 'refused';
    reason: string;
} | {
    kind: 'inert';
    reason: string; /** The feature it configures is itself refused loudly at use: no startup warning. */
    quiet?: true;
} | {
    kind: 'owned';
    by: 'core' | 'cluster' | 'security';
};
export declare const CONFIG_SUPPORT: ReadonlyMap<string, ConfigSupport>;
/**
 * Topic configs (CreateTopics, AlterConfigs): refused ones fail the request with
 * INVALID_CONFIG; the others in TOPIC_CONFIG_DEFS are honoured or, like their broker
 * synonyms above, inert or owned elsewhere.
 */
export declare const TOPIC_CONFIG_SUPPORT: ReadonlyMap<string, ConfigSupport>;
/** The message refusing a key whose value Samsa cannot honour. */
export declare function refusedMessage(name: string, value: string, reason: string): string;
/** The startup warning for a key that has no effect. */
export declare function inertMessage(name: string, value: string, reason: string): string;
