/**
 * What the three MirrorMaker connectors share (Kafka's MirrorConnectorConfig and the filters):
 * cluster aliases, the replication policy, topic and group filters (comma-separated names and
 * regexes, each matched against the whole name; excludes win), and the clients for each side:
 * `source.cluster.*` / `target.cluster.*` connection keys with `consumer.` / `producer.` /
 * `admin.` and `source.consumer.` ... overrides on top, client ids `<source>-><target>|<name>|<role>`.
 * Also the small scheduler the connectors run their periodic jobs on.
 */
import { type ConsumerOptions, OPTION_SPECS, type ProducerOptions } from '@samsa/client';
import { type ConfigDef, ConfigException, type ConfigKey } from '../api.js';
import { parseList } from '../transforms.js';
import { type ReplicationPolicy, replicationPolicyFrom } from './replication-policy.js';

const KAFKA_CLIENT_KEYS = new Set(OPTION_SPECS.map((s) => s.kafka).filter((k): k is string => k !== null));

export const TOPICS_EXCLUDE_DEFAULT = '.*[\\-\\.]internal, .*\\.replica, __.*';
export const GROUPS_EXCLUDE_DEFAULT = 'console-consumer-.*, connect-.*, __.*';
export const CONFIG_PROPERTIES_EXCLUDE_DEFAULT =
  'follower\\.replication\\.throttled\\.replicas, leader\\.replication\\.throttled\\.replicas, message\\.timestamp\\.difference\\.max\\.ms, message\\.timestamp\\.type, unclean\\.leader\\.election\\.enable, min\\.insync\\.replicas';

/** Kafka's MirrorUtils.compilePatternList: the list's entries as one alternation matched against the whole name; an empty list matches nothing. */
export function patternList(list: string): ((name: string) => boolean) | null {
  const parts = parseList(list);
  if (parts.length === 0) return null;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${parts.join('|')})$`);
  } catch (e) {
    throw new ConfigException(`Invalid regular expression in ${list}: ${(e as Error).message}`);
  }
  return (name) => re.test(name);
}

/** An include/exclude filter (DefaultTopicFilter, DefaultGroupFilter). */
export function includeExclude(include: string, exclude: string): (name: string) => boolean {
  const inc = patternList(include);
  const exc = patternList(exclude);
  return (name) => inc !== null && inc(name) && !(exc !== null && exc(name));
}

export type ClientRole = 'consumer' | 'producer' | 'admin';
type ClientOptions = ConsumerOptions & ProducerOptions;

const SECURITY_PREFIXES = ['security.protocol', 'sasl.', 'ssl.'];

export class MirrorConnectorConfig {
  readonly policy: ReplicationPolicy;

  constructor(readonly props: Record<string, string>) {
    this.policy = replicationPolicyFrom(props);
  }

  get enabled(): boolean {
    return this.bool('enabled', true);
  }

  get sourceClusterAlias(): string {
    const v = this.props['source.cluster.alias'];
    if (v === undefined || v.trim() === '') throw new ConfigException('Missing required configuration "source.cluster.alias" which has no default value.');
    return v.trim();
  }

  get targetClusterAlias(): string {
    return (this.props['target.cluster.alias'] ?? 'target').trim();
  }

  get connectorName(): string {
    return this.props.name ?? '';
  }

  /** Kafka's entity label: `<source>-><target>|<connector>`, the base of every client id. */
  get entityLabel(): string {
    return `${this.sourceClusterAlias}->${this.targetClusterAlias}|${this.connectorName}`;
  }

  get adminTimeoutMs(): number {
    return this.long('admin.timeout.ms', 60000);
  }

  bool(key: string, def: boolean): boolean {
    const v = this.props[key]?.trim().toLowerCase();
    if (v === undefined || v === '') return def;
    if (v !== 'true' && v !== 'false') throw new ConfigException(`Invalid value ${this.props[key]} for configuration ${key}: Expected value to be either true or false`);
    return v === 'true';
  }

  long(key: string, def: number): number {
    const v = this.props[key]?.trim();
    if (v === undefined || v === '') return def;
    if (!/^-?\d+$/.test(v)) throw new ConfigException(`Invalid value ${v} for configuration ${key}: Not a number of type LONG`);
    return Number(v);
  }

  string(key: string, def: string): string {
    return this.props[key] ?? def;
  }

  /** `<prefix>.enabled` and `<prefix>.interval.seconds` as one period in ms; -1 when disabled (Kafka's negative Duration). */
  intervalMs(prefix: string, enabledDefault: boolean, secondsDefault: number): number {
    return this.bool(`${prefix}.enabled`, enabledDefault) ? this.long(`${prefix}.interval.seconds`, secondsDefault) * 1000 : -1;
  }

  get topicFilter(): (topic: string) => boolean {
    return includeExclude(this.props.topics ?? '.*', this.props['topics.exclude'] ?? TOPICS_EXCLUDE_DEFAULT);
  }

  get groupFilter(): (group: string) => boolean {
    return includeExclude(this.props.groups ?? '.*', this.props['groups.exclude'] ?? GROUPS_EXCLUDE_DEFAULT);
  }

  /** offset-syncs.topic.location: `source` (default) or `target`. */
  get offsetSyncsTopicLocation(): 'source' | 'target' {
    const v = (this.props['offset-syncs.topic.location'] ?? 'source').trim();
    if (v !== 'source' && v !== 'target') throw new ConfigException(`Invalid value ${v} for configuration offset-syncs.topic.location: String must be one of: source, target`);
    return v;
  }

  get offsetSyncsTopic(): string {
    return this.policy.offsetSyncsTopic(this.offsetSyncsTopicLocation === 'source' ? this.targetClusterAlias : this.sourceClusterAlias);
  }

  get checkpointsTopic(): string {
    return this.policy.checkpointsTopic(this.sourceClusterAlias);
  }

  get emitOffsetSyncsEnabled(): boolean {
    return this.bool('emit.offset-syncs.enabled', true);
  }

  /**
   * Client options for one side: the cluster's connection keys (`source.cluster.bootstrap.servers`
   * ...), then the role's keys (`consumer.*`), then the side's role keys (`source.consumer.*`).
   */
  client(side: 'source' | 'target', role: ClientRole, roleLabel: string): ClientOptions {
    const props: Record<string, string> = {};
    const take = (prefix: string, only?: (k: string) => boolean): void => {
      for (const [k, v] of Object.entries(this.props)) if (k.startsWith(prefix) && (only === undefined || only(k.slice(prefix.length)))) props[k.slice(prefix.length)] = v;
    };
    take(`${side}.cluster.`, (k) => KAFKA_CLIENT_KEYS.has(k) || SECURITY_PREFIXES.some((p) => k.startsWith(p)));
    take(`${role}.`);
    take(`${side}.${role}.`);
    const protocol = (props['security.protocol'] ?? 'PLAINTEXT').trim().toUpperCase();
    if (protocol !== 'PLAINTEXT') throw new ConfigException(`security.protocol ${protocol} for the ${side} cluster is not supported by @samsa/connect's MirrorMaker yet; only PLAINTEXT`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(props)) if (KAFKA_CLIENT_KEYS.has(k) && k !== 'client.id' && !k.endsWith('serializer') && !k.endsWith('deserializer')) out[k] = v;
    const label = `${this.entityLabel}|${roleLabel}`;
    out.clientId = props['client.id'] === undefined ? label : `${props['client.id']}|${label}`;
    if (role === 'consumer') {
      out['enable.auto.commit'] = 'false';
      out['auto.offset.reset'] ??= 'earliest';
    }
    if (out['bootstrap.servers'] === undefined) throw new ConfigException(`Missing required configuration "${side}.cluster.bootstrap.servers" which has no default value.`);
    return out as ClientOptions;
  }
}

/** The keys all three connectors define (BASE_CONNECTOR_CONFIG_DEF), for validation. */
export function baseMirrorConfigDef(): ConfigDef {
  const k = (name: string, type: ConfigKey['type'], defaultValue: string | undefined, documentation: string, importance: ConfigKey['importance'] = 'LOW'): ConfigKey =>
    defaultValue === undefined ? { name, type, importance, documentation } : { name, type, defaultValue, importance, documentation };
  return [
    k('enabled', 'BOOLEAN', 'true', 'Whether to replicate source->target.'),
    k('source.cluster.alias', 'STRING', undefined, 'Alias of source cluster', 'HIGH'),
    k('target.cluster.alias', 'STRING', 'target', 'Alias of target cluster. Used in metrics reporting.', 'HIGH'),
    k('admin.timeout.ms', 'LONG', '60000', 'Timeout for administrative tasks, e.g. detecting new topics.'),
    k('replication.policy.class', 'CLASS', 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy', 'Class which defines the remote topic naming convention.'),
    k('replication.policy.separator', 'STRING', '.', 'Separator used in remote topic naming convention.'),
  ];
}

/** Runs a connector's or task's periodic jobs one at a time (Kafka's mirror Scheduler); errors are logged. */
export class Scheduler {
  private closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly label: string) {}

  /** Runs `job` now, after the jobs before it. */
  execute(job: () => Promise<void>, what: string): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.closed) return;
      try {
        await job();
      } catch (err) {
        console.error(`${this.label} caught exception in scheduled task: ${what}: ${(err as Error).message}`);
      }
    });
    this.chain = run;
    return run;
  }

  /** Runs `job` every `intervalMs` (first run now, or after one interval when `delayed`); a negative interval disables it. */
  repeat(job: () => Promise<void>, intervalMs: number, what: string, delayed = false): void {
    if (intervalMs < 0 || this.closed) return;
    const next = (): void => {
      if (this.closed) return;
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.execute(job, what).then(next);
      }, intervalMs);
      this.timers.add(t);
    };
    if (delayed) next();
    else void this.execute(job, what).then(next);
  }

  /** Stops the timers and waits for a running job to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.chain;
  }
}

/** A sleep that stop() cuts short (the tasks' interruptible waits). */
export class StopSignal {
  stopped = false;
  private readonly wakers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const w of [...this.wakers]) w();
  }
}
