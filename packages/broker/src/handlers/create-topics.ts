/**
 * CreateTopics (19). v0-v7. num_partitions / replication_factor -1 take num.partitions /
 * default.replication.factor (v4+ clients send -1); manual assignments exclude both. A name
 * given twice is refused for every copy (INVALID_REQUEST). validate_only checks everything and
 * writes nothing. v5+ answers with the partition count, replication factor and the topic's
 * described configs; v7 adds the topic id. Like Kafka, a timeout <= 0 answers
 * REQUEST_TIMED_OUT for topics that are nevertheless created.
 */
import { ApiKey, ErrorCode, type CreateTopicsRequest, type CreateTopicsResponse } from '@samsa/protocol';
import { TopicConfig } from '../config/topic-config.js';
import type { TopicImage } from '../metadata/image.js';
import { ZERO_UUID } from '../metadata/uuid.js';
import { mapError } from '../server/error-mapping.js';
import { perDistinctName } from './distinct-names.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { authorizeTopicCreate, MutationThrottle, THROTTLING_QUOTA_EXCEEDED_MESSAGE } from '../security/authorize.js';

type TopicResult = CreateTopicsResponse['topics'][number];
type CreatableTopic = CreateTopicsRequest['topics'][number];

function errorResult(name: string, code: number, message: string | null): TopicResult {
  return { name, topicId: ZERO_UUID, errorCode: code, errorMessage: message, numPartitions: -1, replicationFactor: -1, configs: [] };
}

function successResult(broker: BrokerServices, t: TopicImage, code: number): TopicResult {
  const described = new TopicConfig(broker.config, t.configs).describe();
  return {
    name: t.name,
    topicId: t.id,
    errorCode: code,
    errorMessage: null,
    numPartitions: t.partitions.length,
    replicationFactor: t.replicationFactor,
    configs: described.map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, readOnly: c.readOnly, configSource: c.source, isSensitive: c.isSensitive })),
  };
}

async function createOne(broker: BrokerServices, topic: CreatableTopic, validateOnly: boolean, timedOut: boolean): Promise<TopicResult> {
  const nullConfigs = topic.configs.filter((c) => c.value === null).map((c) => c.name);
  if (nullConfigs.length > 0) return errorResult(topic.name, ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nullConfigs.join(',')}`);
  const configs = new Map<string, string>();
  for (const c of topic.configs) configs.set(c.name, c.value!);
  try {
    const t = await broker.topics.createTopic(
      {
        name: topic.name,
        numPartitions: topic.numPartitions,
        replicationFactor: topic.replicationFactor,
        assignments: topic.assignments.map((a) => ({ partition: a.partitionIndex, brokerIds: a.brokerIds })),
        configs,
      },
      { validateOnly },
    );
    if (!validateOnly) broker.log.info(`Created topic ${t.name} with ${t.partitions.length} partition(s) (topic id ${t.id})`);
    return successResult(broker, t, timedOut && !validateOnly ? ErrorCode.REQUEST_TIMED_OUT : ErrorCode.NONE);
  } catch (e) {
    const m = mapError(e);
    if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`Error creating topic ${topic.name}`, e);
    return errorResult(topic.name, m.code, m.message);
  }
}

async function handle(ctx: RequestContext, req: CreateTopicsRequest, version: number): Promise<CreateTopicsResponse> {
  const broker = ctx.broker;
  const validateOnly = version >= 1 && req.validateOnly === true;
  const timedOut = req.timeoutMs <= 0;
  const mutations = new MutationThrottle(ctx, version >= 6);
  const partitionsOf = (t: CreatableTopic): number => (t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? broker.config.int('num.partitions') : t.numPartitions);
  const create = (t: CreatableTopic): Promise<TopicResult> => {
    if (!validateOnly && !mutations.admit(partitionsOf(t))) return Promise.resolve(errorResult(t.name, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLING_QUOTA_EXCEEDED_MESSAGE));
    return createOne(broker, t, validateOnly, timedOut);
  };
  // Sequential: a later topic in the same request sees the earlier ones (collision checks).
  const results = await perDistinctName(
    req.topics,
    (name) => errorResult(name, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'),
    (t) => (authorizeTopicCreate(ctx, t.name) ? create(t) : Promise.resolve(errorResult(t.name, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'))),
  );
  if (version < 5) for (const r of results) r.configs = null;
  return { throttleTimeMs: mutations.throttleMs, topics: results };
}

export const createTopicsHandler: ApiHandler<CreateTopicsRequest, CreateTopicsResponse> = {
  apiKey: ApiKey.CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle,
};
