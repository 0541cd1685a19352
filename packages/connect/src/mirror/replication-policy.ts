/**
 * MirrorMaker 2's replication policies (org.apache.kafka.connect.mirror): how a remote topic is
 * named and how a name is traced back to its source. DefaultReplicationPolicy prefixes the
 * source cluster's alias (`A.topic`, separator `replication.policy.separator`, default `.`);
 * IdentityReplicationPolicy keeps names as they are (only `heartbeats` still gets the prefix).
 */
import { ConfigException } from '../api.js';

export interface ReplicationPolicy {
  formatRemoteTopic(sourceClusterAlias: string, topic: string): string;
  /** The alias of the cluster a remote topic came from, or null for a topic that is not remote. */
  topicSource(topic: string): string | null;
  /** The topic's name on the cluster it came from, or null. */
  upstreamTopic(topic: string): string | null;
  heartbeatsTopic(): string;
  offsetSyncsTopic(clusterAlias: string): string;
  checkpointsTopic(clusterAlias: string): string;
  isCheckpointsTopic(topic: string): boolean;
  isMM2InternalTopic(topic: string): boolean;
}

export const DEFAULT_REPLICATION_POLICY = 'org.apache.kafka.connect.mirror.DefaultReplicationPolicy';
export const IDENTITY_REPLICATION_POLICY = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy';

export class DefaultReplicationPolicy implements ReplicationPolicy {
  protected separator = '.';
  private internalSeparatorEnabled = true;

  configure(props: Record<string, string>): void {
    const sep = props['replication.policy.separator'];
    if (sep !== undefined) {
      this.separator = sep;
      const internal = props['replication.policy.internal.topic.separator.enabled'];
      if (internal !== undefined) this.internalSeparatorEnabled = internal.trim().toLowerCase() === 'true';
    }
  }

  formatRemoteTopic(sourceClusterAlias: string, topic: string): string {
    return `${sourceClusterAlias}${this.separator}${topic}`;
  }

  topicSource(topic: string): string | null {
    if (this.separator === '') return null;
    // as Java's String.split: trailing empty parts are dropped, fewer than two parts is not remote
    const parts = topic.split(this.separator);
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    return parts.length < 2 ? null : parts[0]!;
  }

  upstreamTopic(topic: string): string | null {
    const source = this.topicSource(topic);
    return source === null ? null : topic.slice(source.length + this.separator.length);
  }

  private internalSeparator(): string {
    return this.internalSeparatorEnabled ? this.separator : '.';
  }

  private internalSuffix(): string {
    return `${this.internalSeparator()}internal`;
  }

  heartbeatsTopic(): string {
    return 'heartbeats';
  }

  offsetSyncsTopic(clusterAlias: string): string {
    return `mm2-offset-syncs${this.internalSeparator()}${clusterAlias}${this.internalSuffix()}`;
  }

  checkpointsTopic(clusterAlias: string): string {
    return `${clusterAlias}${this.internalSeparator()}checkpoints${this.internalSuffix()}`;
  }

  isCheckpointsTopic(topic: string): boolean {
    return topic.endsWith(`${this.internalSeparator()}checkpoints${this.internalSuffix()}`);
  }

  isMM2InternalTopic(topic: string): boolean {
    return topic.endsWith(this.internalSuffix());
  }
}

export class IdentityReplicationPolicy extends DefaultReplicationPolicy {
  private sourceClusterAlias: string | null = null;

  override configure(props: Record<string, string>): void {
    super.configure(props);
    this.sourceClusterAlias = props['source.cluster.alias'] ?? null;
  }

  private looksLikeHeartbeat(topic: string): boolean {
    return topic.endsWith(this.heartbeatsTopic());
  }

  override formatRemoteTopic(sourceClusterAlias: string, topic: string): string {
    return this.looksLikeHeartbeat(topic) ? super.formatRemoteTopic(sourceClusterAlias, topic) : topic;
  }

  override topicSource(topic: string): string | null {
    return this.looksLikeHeartbeat(topic) ? super.topicSource(topic) : this.sourceClusterAlias;
  }

  override upstreamTopic(topic: string): string | null {
    return this.looksLikeHeartbeat(topic) ? super.upstreamTopic(topic) : topic;
  }
}

/** ReplicationPolicy.originalTopic: follows upstreamTopic back to the topic's first cluster. */
export function originalTopic(policy: ReplicationPolicy, topic: string): string {
  const upstream = policy.upstreamTopic(topic);
  return upstream === null || upstream === topic ? topic : originalTopic(policy, upstream);
}

export function isHeartbeatsTopic(policy: ReplicationPolicy, topic: string): boolean {
  return originalTopic(policy, topic) === policy.heartbeatsTopic();
}

/** ReplicationPolicy.isInternalTopic: MM2's, Kafka's (`__*`, `.*`) and Connect's (`*-internal`, `*.internal`) topics. */
export function isInternalTopic(policy: ReplicationPolicy, topic: string): boolean {
  return policy.isMM2InternalTopic(topic) || topic.startsWith('__') || topic.startsWith('.') || topic.endsWith('-internal') || topic.endsWith('.internal');
}

/** `replication.policy.class` (Kafka's class names or simple names), configured from the props. */
export function replicationPolicyFrom(props: Record<string, string>): ReplicationPolicy {
  const cls = (props['replication.policy.class'] ?? DEFAULT_REPLICATION_POLICY).trim();
  let policy: DefaultReplicationPolicy;
  if (cls === DEFAULT_REPLICATION_POLICY || cls === 'DefaultReplicationPolicy') policy = new DefaultReplicationPolicy();
  else if (cls === IDENTITY_REPLICATION_POLICY || cls === 'IdentityReplicationPolicy') policy = new IdentityReplicationPolicy();
  else throw new ConfigException(`Invalid value ${cls} for configuration replication.policy.class: Class ${cls} could not be found.`);
  policy.configure(props);
  return policy;
}
