/**
 * DeleteTopics (20). v0-v6. v0-v5 name topics; v6 names each topic by name or by id (not
 * both). Deleting a topic removes it from the metadata; the partition registry then deletes
 * its logs. delete.topic.enable=false answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before
 * v3, which predates that code), as Kafka does.
 */
import { ApiKey, ErrorCode, type DeleteTopicsRequest, type DeleteTopicsResponse } from '@samsa/protocol';
import { ZERO_UUID } from '../metadata/uuid.js';
import { mapError } from '../server/error-mapping.js';
import type { ApiHandler, BrokerServices, RequestContext } from './types.js';
import { AclOperation, authorize, MutationThrottle, ResourceType, THROTTLING_QUOTA_EXCEEDED_MESSAGE } from '../security/authorize.js';

type TopicResult = DeleteTopicsResponse['responses'][number];

function result(name: string | null, topicId: string, errorCode: number, errorMessage: string | null): TopicResult {
  return { name, topicId, errorCode, errorMessage };
}

async function deleteByName(broker: BrokerServices, name: string, topicId: string): Promise<TopicResult> {
  try {
    const t = await broker.topics.deleteTopic(name);
    broker.log.info(`Deleted topic ${t.name} (topic id ${t.id})`);
    return result(t.name, t.id, ErrorCode.NONE, null);
  } catch (e) {
    const m = mapError(e);
    if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR) broker.log.error(`Error deleting topic ${name}`, e);
    return result(name, topicId, m.code, m.message);
  }
}

async function handle(ctx: RequestContext, req: DeleteTopicsRequest, version: number): Promise<DeleteTopicsResponse> {
  const broker = ctx.broker;
  const wanted: Array<{ name: string | null; topicId: string }> =
    version >= 6 ? (req.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId })) : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));

  if (!broker.config.bool('delete.topic.enable')) {
    const code = version < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
    return { throttleTimeMs: 0, responses: wanted.map((w) => result(w.name, w.topicId, code, 'Topic deletion is disabled.')) };
  }

  // Like Kafka's controller, an entry with both or neither of name and id fails the whole request.
  for (const w of wanted) {
    const bad = w.name !== null && w.topicId !== ZERO_UUID ? 'You may not specify both topic name and topic id.'
      : w.name === null && w.topicId === ZERO_UUID ? 'Neither topic name nor id were specified.' : null;
    if (bad !== null) return { throttleTimeMs: 0, responses: wanted.map((x) => result(x.name, x.topicId, ErrorCode.INVALID_REQUEST, bad)) };
  }
  const nameCounts = new Map<string, number>();
  const idCounts = new Map<string, number>();
  for (const w of wanted) {
    if (w.name !== null) nameCounts.set(w.name, (nameCounts.get(w.name) ?? 0) + 1);
    else idCounts.set(w.topicId, (idCounts.get(w.topicId) ?? 0) + 1);
  }
  const responses: TopicResult[] = [];
  const reported = new Set<string>();
  const mutations = new MutationThrottle(ctx, version >= 5);
  const remove = async (name: string, topicId: string, reportedName: string | null): Promise<TopicResult> => {
    if (!mutations.admit(broker.metadata.topic(name)?.partitions.length ?? 0)) return result(reportedName, topicId, ErrorCode.THROTTLING_QUOTA_EXCEEDED, THROTTLING_QUOTA_EXCEEDED_MESSAGE);
    return deleteByName(broker, name, topicId);
  };
  for (const w of wanted) {
    const key = w.name !== null ? `n:${w.name}` : `i:${w.topicId}`;
    if (reported.has(key)) continue;
    reported.add(key);
    if (w.name !== null && nameCounts.get(w.name)! > 1) {
      responses.push(result(w.name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
    } else if (w.name === null && idCounts.get(w.topicId)! > 1) {
      responses.push(result(null, w.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'));
    } else if (w.name !== null) {
      // Unauthorized names answer TOPIC_AUTHORIZATION_FAILED whether or not the topic exists.
      if (!authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, w.name)) responses.push(result(w.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'));
      else responses.push(await remove(w.name, ZERO_UUID, w.name));
    } else {
      const t = broker.metadata.topicsById.get(w.topicId);
      // An id the principal may not describe looks unknown, so ids do not reveal topics.
      if (t === undefined || !authorize(ctx, AclOperation.DESCRIBE, ResourceType.TOPIC, t.name)) responses.push(result(null, w.topicId, ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'));
      else if (!authorize(ctx, AclOperation.DELETE, ResourceType.TOPIC, t.name)) responses.push(result(null, w.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.'));
      else responses.push(await remove(t.name, w.topicId, null));
    }
  }
  return { throttleTimeMs: mutations.throttleMs, responses };
}

export const deleteTopicsHandler: ApiHandler<DeleteTopicsRequest, DeleteTopicsResponse> = {
  apiKey: ApiKey.DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle,
};
