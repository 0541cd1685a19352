/**
 * Every API this broker serves. ApiVersions is computed from this list, so adding an API is
 * one handler file plus one line here, and nothing is advertised that is not served.
 */
import { apiVersionsHandler } from './api-versions.js';
import { fetchHandler } from './fetch.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteRecordsHandler } from './delete-records.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeClusterHandler } from './describe-cluster.js';
import { electLeadersHandler } from './elect-leaders.js';
import { alterPartitionReassignmentsHandler, listPartitionReassignmentsHandler } from './partition-reassignments.js';
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { alterReplicaLogDirsHandler } from './alter-replica-log-dirs.js';
import { describeConfigsHandler } from './describe-configs.js';
import { alterConfigsHandler } from './alter-configs.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { describeProducersHandler } from './describe-producers.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import {
  addOffsetsToTxnHandler, addPartitionsToTxnHandler, describeTransactionsHandler, endTxnHandler, listTransactionsHandler,
  txnOffsetCommitHandler, writeTxnMarkersHandler,
} from './transactions.js';
import { joinGroupHandler } from './join-group.js';
import { syncGroupHandler } from './sync-group.js';
import { heartbeatHandler } from './heartbeat.js';
import { leaveGroupHandler } from './leave-group.js';
import { offsetCommitHandler } from './offset-commit.js';
import { offsetFetchHandler } from './offset-fetch.js';
import { offsetDeleteHandler } from './offset-delete.js';
import { listGroupsHandler } from './list-groups.js';
import { describeGroupsHandler } from './describe-groups.js';
import { deleteGroupsHandler } from './delete-groups.js';
import { consumerGroupHeartbeatHandler } from './consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './consumer-group-describe.js';
import { offsetForLeaderEpochHandler } from './offset-for-leader-epoch.js';
import { saslHandshakeHandler } from './sasl-handshake.js';
import { saslAuthenticateHandler } from './sasl-authenticate.js';
import { describeUserScramCredentialsHandler } from './describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './alter-user-scram-credentials.js';
import { describeAclsHandler } from './describe-acls.js';
import { createAclsHandler } from './create-acls.js';
import { deleteAclsHandler } from './delete-acls.js';
import { describeClientQuotasHandler } from './describe-client-quotas.js';
import { alterClientQuotasHandler } from './alter-client-quotas.js';
import type { ApiHandler } from './types.js';

export const handlers: readonly ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  alterReplicaLogDirsHandler,
  createPartitionsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  initProducerIdHandler,
  describeProducersHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  offsetDeleteHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  offsetForLeaderEpochHandler,
  saslHandshakeHandler,
  saslAuthenticateHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  describeClientQuotasHandler,
  alterClientQuotasHandler,
];

export * from './types.js';
