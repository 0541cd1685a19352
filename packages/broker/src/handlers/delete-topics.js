/**
 * DeleteTopics (20). v0-v6. v0-v5 name topics; v6 names each topic by name or by id (not
 * both). Deleting a topic removes it from the metadata; the partition registry then deletes
 * its logs. delete.topic.enable=false answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before
 * v3, which predates that code), as Kafka does.
 */
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { ZERO_UUID } from '../metadata/uuid.js';
import { mapError } from '../server/error-mapping.js';
function result(name, topicId, errorCode, errorMessage) {
    return { name, topicId, errorCode, errorMessage };
}
async function deleteByName(broker, name, topicId) {
    try {
        const t = await broker.topics.deleteTopic(name);
        broker.log.info(`Deleted topic ${t.name} (topic id ${t.id})`);
        return result(t.name, t.id, ErrorCode.NONE, null);
    }
    catch (e) {
        const m = mapError(e);
        if (m.code === ErrorCode.UNKNOWN_SERVER_ERROR)
            broker.log.error(`Error deleting topic ${name}`, e);
        return result(name, topicId, m.code, m.message);
    }
}
async function handle(ctx, req, version) {
    const broker = ctx.broker;
    const wanted = version >= 6 ? (req.topics ?? []).map((t) => ({ name: t.name, topicId: t.topicId })) : (req.topicNames ?? []).map((name) => ({ name, topicId: ZERO_UUID }));
    if (!broker.config.bool('delete.topic.enable')) {
        const code = version < 3 ? ErrorCode.INVALID_REQUEST : ErrorCode.TOPIC_DELETION_DISABLED;
        return { throttleTimeMs: 0, responses: wanted.map((w) => result(w.name, w.topicId, code, 'Topic deletion is disabled.')) };
    }
    // Like Kafka's controller, an entry with both or neither of name and id fails the whole request.
    for (const w of wanted) {
        const bad = w.name !== null && w.topicId !== ZERO_UUID ? 'You may not specify both topic name and topic id.'
            : w.name === null && w.topicId === ZERO_UUID ? 'Neither topic name nor id were specified.' : null;
        if (bad !== null)
            return { throttleTimeMs: 0, responses: wanted.map((x) => result(x.name, x.topicId, ErrorCode.INVALID_REQUEST, bad)) };
    }
    const nameCounts = new Map();
    const idCounts = new Map();
    for (const w of wanted) {
        if (w.name !== null)
            nameCounts.set(w.name, (nameCounts.get(w.name) ?? 0) + 1);
        else
            idCounts.set(w.topicId, (idCounts.get(w.topicId) ?? 0) + 1);
    }
    const responses = [];
    const reported = new Set();
    for (const w of wanted) {
        const key = w.name !== null ? `n:${w.name}` : `i:${w.topicId}`;
        if (reported.has(key))
            continue;
        reported.add(key);
        if (w.name !== null && nameCounts.get(w.name) > 1) {
            responses.push(result(w.name, ZERO_UUID, ErrorCode.INVALID_REQUEST, 'Duplicate topic name.'));
        }
        else if (w.name === null && idCounts.get(w.topicId) > 1) {
            responses.push(result(null, w.topicId, ErrorCode.INVALID_REQUEST, 'Duplicate topic id.'));
        }
        else if (w.name !== null) {
            responses.push(await deleteByName(broker, w.name, ZERO_UUID));
        }
        else {
            const t = broker.metadata.topicsById.get(w.topicId);
            if (t === undefined)
                responses.push(result(null, w.topicId, ErrorCode.UNKNOWN_TOPIC_ID, 'This server does not host this topic ID.'));
            else
                responses.push(await deleteByName(broker, t.name, w.topicId));
        }
    }
    return { throttleTimeMs: 0, responses };
}
export const deleteTopicsHandler = {
    apiKey: ApiKey.DeleteTopics,
    minVersion: 0,
    maxVersion: 6,
    handle,
};
//# sourceMappingURL=delete-topics.js.map