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
import { describeLogDirsHandler } from './describe-log-dirs.js';
import { describeConfigsHandler } from './describe-configs.js';
import { alterConfigsHandler } from './alter-configs.js';
import { incrementalAlterConfigsHandler } from './incremental-alter-configs.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { describeProducersHandler } from './describe-producers.js';
import { findCoordinatorHandler } from './find-coordinator.js';
import { addOffsetsToTxnHandler, addPartitionsToTxnHandler, describeTransactionsHandler, endTxnHandler, listTransactionsHandler, txnOffsetCommitHandler, writeTxnMarkersHandler, } from './transactions.js';
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
export const handlers = [
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
    createPartitionsHandler,
    incrementalAlterConfigsHandler,
    describeClusterHandler,
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
];
export * from './types.js';
//# sourceMappingURL=index.js.map