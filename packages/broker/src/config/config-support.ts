/**
 * What Samsa does with each broker config key it accepts. A setting that is accepted and
 * silently does nothing is dangerous (an authorizer that authorizes nothing, a throttle that
 * throttles nothing), so every key in BROKER_CONFIG_DEFS is in exactly one class here:
 *
 * - implemented: the broker honours it (every key not listed below);
 * - refused: a value other than Kafka's default stops the broker at startup (and is refused
 *   as a dynamic update) with a message saying why;
 * - inert: it has no effect by design in Samsa (thread pools of a one-event-loop process,
 *   socket buffer sizes Node cannot set); a non-default value is accepted, so stock Kafka
 *   configs start, and logged as a WARN at startup.
 *
 * config-support.test.ts lists every key with its class, so a new key must be placed.
 */

export type ConfigSupport =
  | { kind: 'refused'; reason: string }
  | { kind: 'inert'; reason: string; /** The feature it configures is itself refused loudly at use: no startup warning. */ quiet?: true };

const ONE_EVENT_LOOP = 'Samsa runs on one event loop with asynchronous I/O; there is no thread pool to size';
const NO_RECOMPRESSION = 'the broker keeps batches as the producer compressed them (compression.type=producer), so it never compresses';
const NO_PREALLOCATION = 'segment files grow as they are written; nothing is preallocated';

export const CONFIG_SUPPORT: ReadonlyMap<string, ConfigSupport> = new Map<string, ConfigSupport>([
  ['num.network.threads', { kind: 'inert', reason: ONE_EVENT_LOOP }],
  ['num.io.threads', { kind: 'inert', reason: ONE_EVENT_LOOP }],
  ['num.recovery.threads.per.data.dir', { kind: 'inert', reason: ONE_EVENT_LOOP }],
  ['log.cleaner.threads', { kind: 'inert', reason: `${ONE_EVENT_LOOP}; one cleaner runs when log.cleaner.enable=true` }],
  ['socket.send.buffer.bytes', { kind: 'inert', reason: 'Node does not expose SO_SNDBUF on TCP sockets; the OS default applies' }],
  ['socket.receive.buffer.bytes', { kind: 'inert', reason: 'Node does not expose SO_RCVBUF on TCP sockets; the OS default applies' }],

  ['log.cleaner.io.max.bytes.per.second', { kind: 'refused', reason: 'the log cleaner has no I/O throttle' }],
  ['log.flush.offset.checkpoint.interval.ms', { kind: 'refused', reason: 'recovery points are written at shutdown and by the log flusher, not on a separate schedule' }],
  ['log.flush.start.offset.checkpoint.interval.ms', { kind: 'refused', reason: 'log start offsets are written when they change, not on a separate schedule' }],
  ['metadata.log.dir', { kind: 'refused', reason: 'the single-node metadata lives in the first log directory' }],
  ['compression.type', { kind: 'refused', reason: NO_RECOMPRESSION.replace(', so it never compresses', '; recompression on the broker is not implemented') }],
  ['compression.gzip.level', { kind: 'inert', reason: NO_RECOMPRESSION }],
  ['compression.lz4.level', { kind: 'inert', reason: NO_RECOMPRESSION }],
  ['compression.zstd.level', { kind: 'inert', reason: NO_RECOMPRESSION }],
  ['log.preallocate', { kind: 'inert', reason: NO_PREALLOCATION }],

  ['client.quota.callback.class', { kind: 'refused', reason: 'custom quota callbacks are Java classes; quotas follow Kafka\'s default user/client-id callback' }],
  ['ssl.protocol', { kind: 'inert', reason: 'Node negotiates the newest TLS version within ssl.enabled.protocols' }],
]);

/**
 * Topic configs (CreateTopics, AlterConfigs): refused ones fail the request with
 * INVALID_CONFIG; the others in TOPIC_CONFIG_DEFS are honoured or, like their broker
 * synonyms above, inert.
 */
export const TOPIC_CONFIG_SUPPORT: ReadonlyMap<string, ConfigSupport> = new Map<string, ConfigSupport>([
  ['compression.type', { kind: 'refused', reason: 'recompression on the broker is not implemented; batches are kept as the producer compressed them' }],
  ['compression.gzip.level', { kind: 'inert', reason: NO_RECOMPRESSION }],
  ['compression.lz4.level', { kind: 'inert', reason: NO_RECOMPRESSION }],
  ['compression.zstd.level', { kind: 'inert', reason: NO_RECOMPRESSION }],
  ['preallocate', { kind: 'inert', reason: NO_PREALLOCATION }],
]);

/** The message refusing a key whose value Samsa cannot honour. */
export function refusedMessage(name: string, value: string, reason: string): string {
  return `${name}=${value} is not supported by Samsa (${reason}); remove it or set Kafka's default`;
}

/** The startup warning for a key that has no effect. */
export function inertMessage(name: string, value: string, reason: string): string {
  return `The configuration '${name}' (${value}) has no effect in Samsa: ${reason}.`;
}
