/**
 * MirrorMaker 2 in dedicated mode (`connect-mirror-maker mm2.properties [--clusters B ...]`), as
 * Kafka's MirrorMaker driver: every replication flow `A->B` that is enabled (`A->B.enabled =
 * true`) or emits heartbeats (`emit.heartbeats.enabled`, default true) gets a distributed Connect
 * herder on the target cluster (group `A-mm2`, internal topics `mm2-configs.A.internal`,
 * `mm2-offsets.A.internal`, `mm2-status.A.internal`, byte-array converters, worker id `A->B`,
 * no REST server). The herder that leads its group writes the three connectors' configs —
 * MirrorSourceConnector, MirrorCheckpointConnector, MirrorHeartbeatConnector — built from the
 * top-level keys, the clusters' keys (`A.bootstrap.servers` ...) as `source.cluster.*` /
 * `target.cluster.*`, and the flow's own `A->B.*` keys, which win. Several mirror maker
 * processes with the same file share the work through those groups.
 */
import { readFileSync } from 'node:fs';
import { ConfigException } from '../api.js';
import { DistributedHerder } from '../distributed.js';
import { Plugins } from '../plugins.js';
import { parseProperties } from '../properties.js';
import { parseList } from '../transforms.js';
import { parseWorkerConfig } from '../worker-config.js';
import { mirrorCheckpointConfigDef } from './mirror-checkpoint-connector.js';
import { mirrorSourceConfigDef } from './mirror-source-connector.js';

export interface SourceAndTarget {
  source: string;
  target: string;
}

export const pairName = (p: SourceAndTarget): string => `${p.source}->${p.target}`;

export const MIRROR_CONNECTORS = ['MirrorSourceConnector', 'MirrorHeartbeatConnector', 'MirrorCheckpointConnector'] as const;
const MIRROR_PACKAGE = 'org.apache.kafka.connect.mirror.';
const BYTE_ARRAY_CONVERTER = 'org.apache.kafka.connect.converters.ByteArrayConverter';

/** Connection keys a cluster's clients share (MirrorClientConfig's client keys). */
const isClientKey = (k: string): boolean => k === 'bootstrap.servers' || k === 'security.protocol' || k.startsWith('ssl.') || k.startsWith('sasl.');

/** Keys of Connect's ConnectorConfig that MirrorMaker passes through from the top level. */
const CONNECTOR_CONFIG_KEYS = [
  'name', 'connector.class', 'tasks.max', 'key.converter', 'value.converter', 'header.converter', 'transforms', 'predicates', 'config.action.reload',
  'errors.retry.timeout', 'errors.retry.delay.max.ms', 'errors.tolerance', 'errors.log.enable', 'errors.log.include.messages',
];
const HEARTBEAT_KEYS = ['emit.heartbeats.enabled', 'emit.heartbeats.interval.seconds', 'heartbeats.topic.replication.factor'];

export class MirrorMakerConfig {
  readonly clusters: string[];
  private readonly allConfigNames: Set<string>;

  constructor(readonly raw: Record<string, string>) {
    this.clusters = parseList(raw.clusters ?? '');
    if (raw.clusters === undefined) throw new ConfigException('Missing required configuration "clusters" which has no default value.');
    this.allConfigNames = new Set([...CONNECTOR_CONFIG_KEYS, ...HEARTBEAT_KEYS, ...mirrorSourceConfigDef().map((k) => k.name), ...mirrorCheckpointConfigDef().map((k) => k.name)]);
  }

  private withPrefix(prefix: string, strip: boolean): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.raw)) if (k.startsWith(prefix)) out[strip ? k.slice(prefix.length) : k] = v;
    return out;
  }

  /** Flows that are enabled or emit heartbeats (heartbeats default to on, globally or per flow). */
  clusterPairs(): SourceAndTarget[] {
    const global = (this.raw['emit.heartbeats.enabled'] ?? 'true').trim().toLowerCase() === 'true';
    const pairs: SourceAndTarget[] = [];
    for (const source of this.clusters) {
      for (const target of this.clusters) {
        if (source === target) continue;
        const prefix = `${source}->${target}.`;
        const enabled = (this.raw[`${prefix}enabled`] ?? 'false').trim().toLowerCase() === 'true';
        const hb = this.raw[`${prefix}emit.heartbeats.enabled`];
        const heartbeats = hb === undefined ? global : hb.trim().toLowerCase() === 'true';
        if (enabled || heartbeats) pairs.push({ source, target });
      }
    }
    return pairs;
  }

  /** A cluster's keys (`A.*` stripped), its client keys also as `producer.`/`consumer.`/`admin.` defaults, then top-level client keys. */
  clusterProps(cluster: string): Record<string, string> {
    const props = this.withPrefix(`${cluster}.`, true);
    const spread = (k: string, v: string): void => {
      for (const role of ['producer', 'consumer', 'admin']) props[`${role}.${k}`] ??= v;
    };
    for (const [k, v] of Object.entries({ ...props })) if (isClientKey(k)) spread(k, v);
    for (const [k, v] of Object.entries(this.raw)) {
      if (!isClientKey(k)) continue;
      spread(k, v);
      props[k] ??= v;
    }
    return props;
  }

  /** The worker config of a flow's herder (it runs against the target cluster). */
  workerConfig(p: SourceAndTarget): Record<string, string> {
    const props: Record<string, string> = { ...this.clusterProps(p.target) };
    for (const prefix of ['offset.storage', 'config.storage', 'status.storage', 'key.converter', 'value.converter', 'header.converter', 'task', 'worker', 'replication.policy']) Object.assign(props, this.withPrefix(prefix, false));
    props['client.id'] ??= pairName(p);
    props['group.id'] ??= `${p.source}-mm2`;
    props['offset.storage.topic'] ??= `mm2-offsets.${p.source}.internal`;
    props['status.storage.topic'] ??= `mm2-status.${p.source}.internal`;
    props['config.storage.topic'] ??= `mm2-configs.${p.source}.internal`;
    props['key.converter'] ??= BYTE_ARRAY_CONVERTER;
    props['value.converter'] ??= BYTE_ARRAY_CONVERTER;
    props['header.converter'] ??= BYTE_ARRAY_CONVERTER;
    return props;
  }

  /** A connector's config for a flow: known top-level keys, both clusters' keys, the flow's keys; `enabled` defaults to false. */
  connectorBaseConfig(p: SourceAndTarget, connector: (typeof MIRROR_CONNECTORS)[number]): Record<string, string> {
    const props: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.raw)) if (this.allConfigNames.has(k)) props[k] = v;
    Object.assign(props, this.withPrefix('replication.policy', false));
    const isRoleKey = (k: string): boolean => /^(consumer|producer|admin)/.test(k);
    for (const [side, cluster] of [['source', p.source], ['target', p.target]] as const) {
      for (const [k, v] of Object.entries(this.clusterProps(cluster))) props[isRoleKey(k) ? `${side}.${k}` : `${side}.cluster.${k}`] = v;
    }
    props.name ??= connector;
    props['connector.class'] ??= `${MIRROR_PACKAGE}${connector}`;
    props['source.cluster.alias'] ??= p.source;
    props['target.cluster.alias'] ??= p.target;
    Object.assign(props, this.withPrefix(`${p.source}->${p.target}.`, true));
    props.enabled ??= 'false';
    return props;
  }
}

/** A flow's herder: a distributed herder whose leader keeps the three connectors' configs current. */
class MirrorHerder extends DistributedHerder {
  private wasLeader = false;

  constructor(private readonly mm: MirrorMakerConfig, private readonly pair: SourceAndTarget, plugins: Plugins) {
    super(parseWorkerConfig(mm.workerConfig(pair), 'distributed'), plugins, pairName(pair));
    this.restUrl = 'NOTUSED';
  }

  protected override rebalanceSuccess(): void {
    if (this.isLeader()) {
      if (!this.wasLeader) {
        console.log(`This node ${pairName(this.pair)} is now a leader for ${pairName(this.pair)}. Configuring connectors...`);
        void this.configureConnectors();
      }
      this.wasLeader = true;
    } else {
      this.wasLeader = false;
    }
  }

  private async configureConnectors(): Promise<void> {
    for (const connector of MIRROR_CONNECTORS) {
      const desired = this.mm.connectorBaseConfig(this.pair, connector);
      const actual = this.configState.connectorConfigs.get(connector);
      const same = actual !== undefined && JSON.stringify(Object.entries(actual).sort()) === JSON.stringify(Object.entries(desired).sort());
      if (same) {
        console.log(`This node is a leader for ${pairName(this.pair)} and configuration for ${connector} is already up to date.`);
        continue;
      }
      try {
        await this.putConnectorConfig(connector, desired, true);
        console.log(`${connector} connector configured for ${pairName(this.pair)}.`);
      } catch (err) {
        console.error(`Failed to configure ${connector} connector for ${pairName(this.pair)}: ${(err as Error).message}`);
      }
    }
  }
}

export class MirrorMaker {
  readonly herders = new Map<string, DistributedHerder>();

  constructor(readonly config: MirrorMakerConfig, clusters: string[] | null = null) {
    const targets = new Set(clusters !== null && clusters.length > 0 ? clusters : config.clusters);
    console.log(`Targeting clusters [${[...targets].join(', ')}]`);
    const pairs = config.clusterPairs().filter((p) => targets.has(p.target));
    if (pairs.length === 0) throw new ConfigException('No source->target replication flows.');
    const plugins = new Plugins();
    for (const p of pairs) {
      console.log(`creating herder for ${pairName(p)}`);
      this.herders.set(pairName(p), new MirrorHerder(config, p, plugins));
    }
  }

  async start(): Promise<void> {
    console.log(`Kafka MirrorMaker starting with ${this.herders.size} herders.`);
    for (const h of this.herders.values()) {
      await h.start();
      h.beginMembership();
    }
    console.log('Configuring connectors will happen once the worker joins the group as a leader');
    console.log('Kafka MirrorMaker started');
  }

  async stop(): Promise<void> {
    console.log('Kafka MirrorMaker stopping');
    await Promise.all([...this.herders.values()].map((h) => h.stop().catch((err: Error) => console.error(`Error stopping herder: ${err.message}`))));
    console.log('Kafka MirrorMaker stopped.');
  }
}

const USAGE = `usage: connect-mirror-maker [-h] [--clusters CLUSTER [CLUSTER ...]] mm2.properties

MirrorMaker 2.0 driver

positional arguments:
  mm2.properties         MM2 configuration file.

named arguments:
  -h, --help             show this help message and exit
  --clusters CLUSTER [CLUSTER ...]
                         Target cluster to use for this node.
`;

/** `connect-mirror-maker mm2.properties [--clusters A B]`; resolves with the exit code once stopped. */
export async function mirrorMakerMain(argv: string[], stopSignal?: Promise<void>): Promise<number> {
  let file: string | null = null;
  let clusters: string[] | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (a === '--clusters') {
      clusters = [];
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) clusters.push(argv[++i]!);
      if (clusters.length === 0) return usageError('argument --clusters: expected at least one argument');
    } else if (a.startsWith('-')) return usageError(`unrecognized arguments: '${a}'`);
    else if (file === null) file = a;
    else return usageError(`unrecognized arguments: '${a}'`);
  }
  if (file === null) return usageError('too few arguments');
  let props: Record<string, string>;
  try {
    props = parseProperties(readFileSync(file, 'utf8'));
  } catch (err) {
    return usageError(`argument mm2.properties: Insufficient permissions to read file: '${file}' (${(err as Error).message})`);
  }
  let mm: MirrorMaker;
  try {
    console.log('Kafka MirrorMaker initializing ...');
    mm = new MirrorMaker(new MirrorMakerConfig(props), clusters);
  } catch (err) {
    console.error(`Stopping due to error: ${(err as Error).message}`);
    return 2;
  }
  try {
    await mm.start();
  } catch (err) {
    console.error(`Failed to start MirrorMaker: ${(err as Error).message}`);
    await mm.stop();
    return 3;
  }
  await (stopSignal ?? new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  }));
  await mm.stop();
  return 0;
}

function usageError(message: string): number {
  process.stderr.write(`${USAGE.split('\n')[0]}\nconnect-mirror-maker: error: ${message}\n`);
  return 255;
}
