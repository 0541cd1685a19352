/**
 * The one place where internal errors become Kafka error codes. Storage, producer-state and
 * topic errors carry a kind or a Kafka error name, never a number.
 */
import { ErrorCode, KafkaError } from '@samsa/protocol';
import { ConfigException } from '../config/config-def.js';
import { TopicOperationError } from '../metadata/errors.js';
import { StorageError } from '../storage/errors.js';
import { ProducerStateError } from '../storage/producer-state.js';
import { ProducerIdUnavailableError } from '../producer/producer-id-manager.js';
const STORAGE = {
    'offset-out-of-range': ErrorCode.OFFSET_OUT_OF_RANGE,
    'corrupt-record': ErrorCode.CORRUPT_MESSAGE,
    'record-batch-too-large': ErrorCode.RECORD_LIST_TOO_LARGE,
    'storage-io': ErrorCode.KAFKA_STORAGE_ERROR,
    'log-closed': ErrorCode.NOT_LEADER_OR_FOLLOWER,
};
const PRODUCER_STATE = {
    'out-of-order-sequence-number': ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    'invalid-producer-epoch': ErrorCode.INVALID_PRODUCER_EPOCH,
    'unknown-producer-id': ErrorCode.UNKNOWN_PRODUCER_ID,
    'invalid-txn-state': ErrorCode.INVALID_TXN_STATE,
};
const TOPIC = {
    TOPIC_ALREADY_EXISTS: ErrorCode.TOPIC_ALREADY_EXISTS,
    INVALID_TOPIC_EXCEPTION: ErrorCode.INVALID_TOPIC_EXCEPTION,
    INVALID_PARTITIONS: ErrorCode.INVALID_PARTITIONS,
    INVALID_REPLICATION_FACTOR: ErrorCode.INVALID_REPLICATION_FACTOR,
    INVALID_REPLICA_ASSIGNMENT: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
    INVALID_CONFIG: ErrorCode.INVALID_CONFIG,
    UNKNOWN_TOPIC_OR_PARTITION: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    UNKNOWN_TOPIC_ID: ErrorCode.UNKNOWN_TOPIC_ID,
    TOPIC_DELETION_DISABLED: ErrorCode.TOPIC_DELETION_DISABLED,
    POLICY_VIOLATION: ErrorCode.POLICY_VIOLATION,
    INVALID_REQUEST: ErrorCode.INVALID_REQUEST,
};
/** Kafka code and message for any error thrown by broker code; unknown errors are UNKNOWN_SERVER_ERROR. */
export function mapError(e) {
    if (e instanceof KafkaError)
        return { code: e.code, message: e.message };
    if (e instanceof StorageError)
        return { code: STORAGE[e.kind], message: e.message };
    if (e instanceof ProducerStateError)
        return { code: PRODUCER_STATE[e.kind], message: e.message };
    // The id block could not be reserved in the metadata store yet: retriable, as Kafka's RPCProducerIdManager.
    if (e instanceof ProducerIdUnavailableError)
        return { code: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, message: e.message };
    if (e instanceof TopicOperationError)
        return { code: TOPIC[e.errorName], message: e.message };
    if (e instanceof ConfigException)
        return { code: ErrorCode.INVALID_CONFIG, message: e.message };
    return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: null };
}
export function errorCodeOf(e) {
    return mapError(e).code;
}
//# sourceMappingURL=error-mapping.js.map