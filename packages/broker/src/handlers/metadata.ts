/**
 * Metadata (3). v0-v12. Topics by name, or by id from v10; null (v1+) or empty (v0) = all
 * topics. Unknown topics are auto-created when auto.create.topics.enable and the request
 * allows it (always before v4); like Kafka, the reply for a topic created by this request is
 * LEADER_NOT_AVAILABLE and the client asks again.
 */
import { ApiKey, ErrorCode, type MetadataRequest, type MetadataResponse } from '@samsa/protocol';
import type { BrokerImage, TopicImage } from '../metadata/image.js';
import { topicNameError } from '../metadata/topic-name.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { EXCESSIVELY_LARGE_BATCH, MAX_RECORDS_PER_USER_OP } from '../server/request-limits.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { CLUSTER_RESOURCE_NAME } from '../security/acl.js';
import { AclOperation, authorize, authorizedOperations, authorizeTopicCreate, ResourceType } from '../security/authorize.js';

type TopicEntry = MetadataResponse['topics'][number];

/** Kafka sends this when authorized operations were not requested. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** Without an authorizer every topic operation is allowed: READ WRITE CREATE DELETE ALTER DESCRIBE DESCRIBE_CONFIGS ALTER_CONFIGS. */
export const ALL_TOPIC_OPERATIONS = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);
/** CREATE ALTER DESCRIBE CLUSTER_ACTION DESCRIBE_CONFIGS ALTER_CONFIGS IDEMPOTENT_WRITE. */
export const ALL_CLUSTER_OPERATIONS = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

function topicEntry(t: TopicImage, authorizedOps: number): TopicEntry {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => ({
      // Kafka: a partition without a live leader is LEADER_NOT_AVAILABLE, with what is known.
      errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: [...p.offlineReplicas],
    })),
    topicAuthorizedOperations: authorizedOps,
  };
}

/** A broker's address on the listener the request came in on (Kafka answers per listener). */
export function brokerEndpoint(broker: BrokerServices, b: BrokerImage, listenerName: string): { host: string; port: number } {
  if (b.nodeId === broker.nodeId) {
    const adv = broker.advertisedListener(listenerName);
    return { host: adv.host, port: adv.port };
  }
  const e = b.endpoints?.find((x) => x.listener === listenerName);
  return e !== undefined ? { host: e.host, port: e.port } : { host: b.host, port: b.port };
}

function errorEntry(name: string | null, topicId: string, errorCode: number, authorizedOps: number): TopicEntry {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: authorizedOps };
}

async function handle(ctx: RequestContext, req: MetadataRequest, version: number): Promise<MetadataResponse> {
  const broker = ctx.broker;
  const topicOps = req.includeTopicAuthorizedOperations === true ? ALL_TOPIC_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
  // What this principal may do with each topic, when the client asks (KIP-430).
  const opsOf = (name: string): number => (topicOps === AUTHORIZED_OPERATIONS_OMITTED ? topicOps : authorizedOperations(ctx, ResourceType.TOPIC, name, ALL_TOPIC_OPERATIONS));
  const allowAutoCreate = broker.config.bool('auto.create.topics.enable') && (version < 4 || req.allowAutoTopicCreation !== false);
  const allTopics = req.topics === null || (version === 0 && req.topics.length === 0);

  const topics: TopicEntry[] = [];
  const describable = (name: string): boolean => authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, name);
  if (allTopics) {
    // Topics the principal may not describe are left out, as if they did not exist.
    for (const t of broker.metadata.topicsByName.values()) if (authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name, false)) topics.push(topicEntry(t, opsOf(t.name)));
  } else {
    const toCreate: Array<{ index: number; name: string }> = [];
    // Kafka answers each named topic once (KafkaApis takes the request's topics as a set): a
    // request naming a 10,001-partition topic 3,000 times must not build 30 million partitions.
    const seen = new Set<string>();
    for (const rt of req.topics!) {
      const image = broker.metadata;
      const key = rt.name ?? `id:${rt.topicId ?? ZERO_UUID}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (rt.name === null || rt.name === undefined) {
        const id = rt.topicId ?? ZERO_UUID;
        const t = id === ZERO_UUID ? undefined : image.topicsById.get(id);
        if (t !== undefined && !describable(t.name)) topics.push(errorEntry(null, id, ErrorCode.TOPIC_AUTHORIZATION_FAILED, topicOps));
        else topics.push(t === undefined ? errorEntry(null, id, id === ZERO_UUID ? ErrorCode.INVALID_REQUEST : ErrorCode.UNKNOWN_TOPIC_ID, topicOps) : topicEntry(t, opsOf(t.name)));
        continue;
      }
      const t = image.topic(rt.name);
      if (!describable(rt.name)) {
        topics.push(errorEntry(rt.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, topicOps));
      } else if (t !== undefined) {
        topics.push(topicEntry(t, opsOf(t.name)));
      } else if (topicNameError(rt.name) !== null) {
        topics.push(errorEntry(rt.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION, topicOps));
      } else if (allowAutoCreate && !authorizeTopicCreate(ctx, rt.name)) {
        topics.push(errorEntry(rt.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, topicOps));
      } else if (allowAutoCreate) {
        toCreate.push({ index: topics.length, name: rt.name });
        topics.push(errorEntry(rt.name, ZERO_UUID, ErrorCode.LEADER_NOT_AVAILABLE, topicOps));
      } else {
        topics.push(errorEntry(rt.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topicOps));
      }
    }
    // Kafka forwards one CreateTopics for the request's unknown topics, which its controller
    // refuses whole when it would write more than MAX_RECORDS_PER_USER_OP records (a topic
    // record and one per partition): none of them is created.
    const records = toCreate.length * (1 + Math.max(1, broker.config.int('num.partitions')));
    if (records > MAX_RECORDS_PER_USER_OP) {
      broker.log.debug(`Not auto-creating the ${toCreate.length} unknown topics of a Metadata request from ${ctx.connection.clientId ?? ctx.connection.remote}: ${EXCESSIVELY_LARGE_BATCH} (${records} metadata records, at most ${MAX_RECORDS_PER_USER_OP})`);
      for (const c of toCreate) topics[c.index]!.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    } else if (toCreate.length > 0) {
      const results = await Promise.allSettled(toCreate.map((c) => broker.autoCreateTopic(c.name)));
      results.forEach((r, i) => {
        if (r.status === 'rejected') topics[toCreate[i]!.index]!.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      });
    }
  }

  const res: MetadataResponse = {
    throttleTimeMs: 0,
    brokers: broker.metadata.brokers.map((b) => ({ nodeId: b.nodeId, ...brokerEndpoint(broker, b, ctx.listenerName), rack: b.rack })),
    clusterId: broker.clusterId,
    controllerId: broker.metadata.controllerId,
    topics,
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations === true ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, ALL_CLUSTER_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED,
  };
  return res;
}

export const metadataHandler: ApiHandler<MetadataRequest, MetadataResponse> = {
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle,
};
