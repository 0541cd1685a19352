/**
 * Bounds on what one client request may make the broker do, in one place. A count or size a
 * client sends (array lengths, partition counts, record counts) is checked here before any
 * work or allocation proportional to it: a 45-byte CreateTopics asking for 16,580,609
 * partitions must be answered at once, not computed.
 *
 * Two layers, both consulted by the request router (with the few shape checks Kafka makes
 * before its handlers, so that a handler never sees a request it cannot answer):
 * - decoding: every array length in a request draws on one element budget, so decoding
 *   allocates in proportion to the frame at most, whatever counts the frame claims;
 * - before the handler: per-API checks on counts that the decoder cannot see (a partition
 *   count is one int32). A violation gets the API's own error response, as Kafka answers.
 *
 * Kafka's KRaft controller refuses a single operation that would write more than 10,000
 * metadata records (QuorumController MAX_RECORDS_PER_USER_OP) with POLICY_VIOLATION "Unable
 * to perform excessively large batch operation."; Samsa applies the same bound, counted the
 * same way (a topic record, a record per partition and per config).
 */
import { ApiKey, ErrorCode, } from '@samsa/protocol';
import { ZERO_UUID } from '../metadata/uuid.js';
/** Kafka's QuorumController.MAX_RECORDS_PER_USER_OP. */
export const MAX_RECORDS_PER_USER_OP = 10_000;
export const EXCESSIVELY_LARGE_BATCH = 'Unable to perform excessively large batch operation.';
/**
 * Array elements one request may decode, across all its arrays. Far above what clients send
 * (a Metadata request naming 100,000 topics, a Fetch of 50,000 partitions), and low enough
 * that the decoded objects of one request stay within ~100 MB and tens of milliseconds.
 */
export const MAX_REQUEST_ELEMENTS = 1_000_000;
function distinctNames(items) {
    return [...new Set(items.map((t) => t.name))];
}
const createTopics = (req, _version, broker) => {
    let records = 0;
    for (const t of req.topics) {
        const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? broker.config.int('num.partitions') : Math.max(0, t.numPartitions);
        records += 1 + partitions + t.configs.length;
    }
    if (records <= MAX_RECORDS_PER_USER_OP)
        return null;
    const response = {
        throttleTimeMs: 0,
        topics: distinctNames(req.topics).map((name) => ({
            name, topicId: ZERO_UUID, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: EXCESSIVELY_LARGE_BATCH,
            numPartitions: -1, replicationFactor: -1, configs: null,
        })),
    };
    return response;
};
const createPartitions = (req, _version, broker) => {
    let records = 0;
    for (const t of req.topics) {
        const current = broker.metadata.topicsByName.get(t.name)?.partitions.length ?? 0;
        records += Math.max(0, t.count - current);
    }
    if (records <= MAX_RECORDS_PER_USER_OP)
        return null;
    const response = {
        throttleTimeMs: 0,
        results: distinctNames(req.topics).map((name) => ({ name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: EXCESSIVELY_LARGE_BATCH })),
    };
    return response;
};
/**
 * Metadata v10-v11 carry a topic id field but cannot name topics by it (nor answer a null
 * name): Kafka refuses such a request with INVALID_REQUEST for every topic, names shown as "".
 */
const metadata = (req, version) => {
    if (version >= 12 || req.topics === null)
        return null;
    if (!req.topics.some((t) => t.name === null || (t.topicId !== undefined && t.topicId !== ZERO_UUID)))
        return null;
    const response = {
        throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1, clusterAuthorizedOperations: -2147483648,
        topics: req.topics.map((t) => ({ errorCode: ErrorCode.INVALID_REQUEST, name: t.name ?? '', topicId: t.topicId ?? ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 })),
    };
    return response;
};
const checks = new Map([
    [ApiKey.CreateTopics, createTopics],
    [ApiKey.CreatePartitions, createPartitions],
    [ApiKey.Metadata, metadata],
]);
/** The response refusing a decoded request that exceeds a limit, or null when it is within them. */
export function refuseOverLimit(apiKey, request, version, broker) {
    const check = checks.get(apiKey);
    return check === undefined ? null : check(request, version, broker);
}
//# sourceMappingURL=request-limits.js.map