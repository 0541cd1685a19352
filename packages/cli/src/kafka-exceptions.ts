/**
 * Kafka's exception for an error code, so tools print what Kafka's tools print
 * ("org.apache.kafka.common.errors.TopicExistsException: Topic 'x' already exists.") instead of
 * a code name: the class Kafka's Errors table maps the code to, and its default message for
 * when the broker sent none. The errors the tools meet; others keep the code name.
 */
import type { KafkaError } from '@samsa/client';

const EXCEPTIONS: Readonly<Record<string, readonly [string, string]>> = {
  UNKNOWN_SERVER_ERROR: ['UnknownServerException', 'The server experienced an unexpected error when processing the request.'],
  OFFSET_OUT_OF_RANGE: ['OffsetOutOfRangeException', 'The requested offset is not within the range of offsets maintained by the server.'],
  CORRUPT_MESSAGE: ['CorruptRecordException', 'This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt.'],
  UNKNOWN_TOPIC_OR_PARTITION: ['UnknownTopicOrPartitionException', 'This server does not host this topic-partition.'],
  LEADER_NOT_AVAILABLE: ['LeaderNotAvailableException', 'There is no leader for this topic-partition as we are in the middle of a leadership election.'],
  REQUEST_TIMED_OUT: ['TimeoutException', 'The request timed out.'],
  MESSAGE_TOO_LARGE: ['RecordTooLargeException', 'The request included a message larger than the max message size the server will accept.'],
  COORDINATOR_NOT_AVAILABLE: ['CoordinatorNotAvailableException', 'The coordinator is not available.'],
  NOT_COORDINATOR: ['NotCoordinatorException', 'This is not the correct coordinator.'],
  INVALID_TOPIC_EXCEPTION: ['InvalidTopicException', 'The request attempted to perform an operation on an invalid topic.'],
  RECORD_LIST_TOO_LARGE: ['RecordBatchTooLargeException', 'The request included message batch larger than the configured segment size on the server.'],
  NOT_ENOUGH_REPLICAS: ['NotEnoughReplicasException', 'Messages are rejected since there are fewer in-sync replicas than required.'],
  INVALID_GROUP_ID: ['InvalidGroupIdException', 'The configured groupId is invalid.'],
  UNKNOWN_MEMBER_ID: ['UnknownMemberIdException', 'The coordinator is not aware of this member.'],
  UNSUPPORTED_VERSION: ['UnsupportedVersionException', 'The version of API is not supported.'],
  TOPIC_ALREADY_EXISTS: ['TopicExistsException', 'Topic with this name already exists.'],
  INVALID_PARTITIONS: ['InvalidPartitionsException', 'Number of partitions is below 1.'],
  INVALID_REPLICATION_FACTOR: ['InvalidReplicationFactorException', 'Replication factor is below 1 or larger than the number of available brokers.'],
  INVALID_REPLICA_ASSIGNMENT: ['InvalidReplicaAssignmentException', 'Replica assignment is invalid.'],
  INVALID_CONFIG: ['InvalidConfigurationException', 'Configuration is invalid.'],
  INVALID_REQUEST: ['InvalidRequestException', 'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.'],
  POLICY_VIOLATION: ['PolicyViolationException', 'Request parameters do not satisfy the configured policy.'],
  KAFKA_STORAGE_ERROR: ['KafkaStorageException', 'Disk error when trying to access log file on the disk.'],
  NON_EMPTY_GROUP: ['GroupNotEmptyException', 'The group is not empty.'],
  GROUP_ID_NOT_FOUND: ['GroupIdNotFoundException', 'The group id does not exist.'],
  TOPIC_DELETION_DISABLED: ['TopicDeletionDisabledException', 'Topic deletion is disabled.'],
  GROUP_SUBSCRIBED_TO_TOPIC: ['GroupSubscribedToTopicException', 'Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it.'],
  UNKNOWN_TOPIC_ID: ['UnknownTopicIdException', 'This server does not host this topic ID.'],
};

/** The broker's message for a KafkaError, or Kafka's default message for its code. */
export function kafkaErrorMessage(e: KafkaError): string {
  const prefix = `${e.errorName} (${e.code})`;
  let sent = e.message.startsWith(`${prefix}: `) ? e.message.slice(prefix.length + 2) : '';
  // @samsa/client names the resource before the broker's message ("topic t: ..."; "topic t" alone
  // when the broker sent none); Kafka's exception carries only the broker's message.
  const named = /^(?:topic|group|partition) [^:]*(?:: ([\s\S]*))?$/.exec(sent);
  if (named !== null) sent = named[1] ?? '';
  return sent !== '' ? sent : EXCEPTIONS[e.errorName]?.[1] ?? prefix;
}

/** "org.apache.kafka.common.errors.TopicExistsException: Topic 'x' already exists.", as Java's toString. */
export function kafkaExceptionText(e: KafkaError): string {
  const cls = EXCEPTIONS[e.errorName]?.[0];
  return cls === undefined ? e.message : `org.apache.kafka.common.errors.${cls}: ${kafkaErrorMessage(e)}`;
}
