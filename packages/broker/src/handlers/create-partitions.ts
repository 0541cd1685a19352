/**
 * CreatePartitions (37). v0-v3. Partitions can only be added: a count equal to or below the
 * current one is INVALID_PARTITIONS. Manual assignments name the replicas of each new
 * partition and are checked as Kafka's controller does (one per new partition, registered
 * brokers, no repeats, the topic's replication factor). validate_only writes nothing. A
 * timeout <= 0 answers REQUEST_TIMED_OUT for partitions that are nevertheless added.
 */
import { ApiKey, ErrorCode, type CreatePartitionsRequest, type CreatePartitionsResponse } from '@samsa/protocol';
import { TopicOperationError } from '../metadata/errors.js';
import type { MetadataImage } from '../metadata/image.js';
import { hasLeaders } from '../metadata/topic-manager.js';
import { mapError } from '../server/error-mapping.js';
import { perDistinctName } from './distinct-names.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { AclOperation, authorize, MutationThrottle, ResourceType, THROTTLING_QUOTA_EXCEEDED_MESSAGE } from '../security/authorize.js';

type TopicResult = CreatePartitionsResponse['results'][number];
type PartitionsTopic = CreatePartitionsRequest['topics'][number];

/** Kafka's checks, with its messages; throws TopicOperationError. */
export function checkNewPartitions(image: MetadataImage, topic: PartitionsTopic): void {
  const t = image.topic(topic.name);
  if (t === undefined) throw new TopicOperationError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition.');
  const current = t.partitions.length;
  if (topic.count < current) throw new TopicOperationError('INVALID_PARTITIONS', `The topic ${topic.name} currently has ${current} partition(s); ${topic.count} would not be an increase.`);
  if (topic.count === current) throw new TopicOperationError('INVALID_PARTITIONS', `Topic already has ${current} partition(s).`);
  const additional = topic.count - current;
  if (topic.assignments === null) return;
  if (topic.assignments.length !== additional) {
    throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `Attempted to add ${additional} additional partition(s), but only ${topic.assignments.length} assignment(s) were specified.`);
  }
  const registered = new Set(image.brokers.map((b) => b.nodeId));
  for (const a of topic.assignments) {
    if (a.brokerIds.length === 0) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', 'The manual partition assignment includes an empty replica list.');
    const sorted = [...a.brokerIds].sort((x, y) => x - y);
    let prev: number | null = null;
    for (const id of sorted) {
      if (!registered.has(id)) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
      if (id === prev) throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes the broker ${prev} more than once.`);
      prev = id;
    }
    if (sorted.length !== t.replicationFactor) {
      throw new TopicOperationError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes a partition with ${sorted.length} replica(s), but this is not consistent with previous partitions, which have ${t.replicationFactor} replica(s).`);
    }
  }
}

async function createFor(broker: BrokerServices, topic: PartitionsTopic, validateOnly: boolean, timeoutMs: number): Promise<TopicResult> {
  try {
    checkNewPartitions(broker.metadata, topic);
    const before = broker.metadata.topic(topic.name)?.partitions.length ?? 0;
    // The request's timeout bounds the wait for the new partitions' leaders, as Kafka's
    // DelayedCreatePartitions: past it the answer is REQUEST_TIMED_OUT (the partitions stay added).
    const t = await broker.topics.createPartitions(topic.name, topic.count, { validateOnly, assignments: topic.assignments?.map((a) => a.brokerIds) ?? null, timeoutMs: Math.max(0, timeoutMs) });
    if (!validateOnly) broker.log.info(`Topic ${t.name} now has ${t.partitions.length} partition(s)`);
    const timedOut = timeoutMs <= 0 || !hasLeaders(t, topic.count, before);
    return { name: topic.name, errorCode: timedOut && !validateOnly ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NONE, errorMessage: null };
  } catch (e) {
    const m = mapError(e);
    if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`Error adding partitions to ${topic.name}`, e);
    // Kafka answers an unknown topic without a message.
    return { name: topic.name, errorCode: m.code, errorMessage: m.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? null : m.message };
  }
}

async function handle(ctx: RequestContext, req: CreatePartitionsRequest, version: number): Promise<CreatePartitionsResponse> {
  const mutations = new MutationThrottle(ctx, version >= 3);
  const create = (t: PartitionsTopic): Promise<TopicResult> => {
    const added = t.count - (ctx.broker.metadata.topic(t.name)?.partitions.length ?? t.count);
    if (!req.validateOnly && !mutations.admit(added)) return Promise.resolve({ name: t.name, errorCode: ErrorCode.THROTTLING_QUOTA_EXCEEDED, errorMessage: THROTTLING_QUOTA_EXCEEDED_MESSAGE });
    return createFor(ctx.broker, t, req.validateOnly, req.timeoutMs);
  };
  const results = await perDistinctName(
    req.topics,
    (name): TopicResult => ({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name.' }),
    (t) => (authorize(ctx, AclOperation.ALTER, ResourceType.TOPIC, t.name) ? create(t) : Promise.resolve<TopicResult>({ name: t.name, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' })),
  );
  return { throttleTimeMs: mutations.throttleMs, results };
}

export const createPartitionsHandler: ApiHandler<CreatePartitionsRequest, CreatePartitionsResponse> = {
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle,
};
