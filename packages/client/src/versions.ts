/**
 * How the client appears on the wire: the versions it speaks and its connection defaults.
 * The newest version of each API this client speaks. The version used on a connection is
 * min(this, the broker's max), and must be >= the broker's min (Kafka's client rule).
 * Caps sit where a newer version changes a request's shape in a way the client does not use
 * (Fetch v13+ and DeleteTopics v6 address topics by id).
 */
import { ApiKey } from '@samsa/protocol';
import type { ConnectionOptions } from '@samsa/network';

export const CLIENT_MAX_VERSIONS: ReadonlyMap<number, number> = new Map<number, number>([
  [ApiKey.Produce, 11],
  [ApiKey.Fetch, 12],
  [ApiKey.OffsetForLeaderEpoch, 4],
  [ApiKey.ListOffsets, 9],
  [ApiKey.Metadata, 12],
  [ApiKey.OffsetCommit, 9],
  [ApiKey.OffsetFetch, 9],
  [ApiKey.FindCoordinator, 6],
  [ApiKey.JoinGroup, 9],
  [ApiKey.Heartbeat, 4],
  [ApiKey.LeaveGroup, 5],
  [ApiKey.SyncGroup, 5],
  [ApiKey.DescribeGroups, 5],
  [ApiKey.ListGroups, 5],
  [ApiKey.ApiVersions, 3],
  [ApiKey.CreateTopics, 7],
  [ApiKey.DeleteTopics, 5],
  [ApiKey.DeleteRecords, 2],
  [ApiKey.InitProducerId, 5],
  [ApiKey.DescribeConfigs, 4],
  [ApiKey.AlterConfigs, 2],
  [ApiKey.CreatePartitions, 3],
  [ApiKey.DeleteGroups, 2],
  [ApiKey.IncrementalAlterConfigs, 1],
  [ApiKey.OffsetDelete, 0],
  [ApiKey.DescribeCluster, 1],
  [ApiKey.DescribeLogDirs, 4],
  [ApiKey.AlterReplicaLogDirs, 2],
  [ApiKey.ElectLeaders, 2],
  [ApiKey.AlterPartitionReassignments, 0],
  [ApiKey.ListPartitionReassignments, 0],
  [ApiKey.ConsumerGroupHeartbeat, 1],
  // Client-side versions of the transaction APIs: AddPartitionsToTxn v4+ is the brokers'
  // batched verification form; EndTxn v5 is transaction protocol 2 (an epoch per transaction).
  [ApiKey.AddPartitionsToTxn, 3],
  [ApiKey.AddOffsetsToTxn, 4],
  [ApiKey.EndTxn, 4],
  [ApiKey.TxnOffsetCommit, 4],
  [ApiKey.WriteTxnMarkers, 1],
  [ApiKey.DescribeProducers, 0],
  [ApiKey.DescribeTransactions, 0],
  [ApiKey.ListTransactions, 1],
  [ApiKey.SaslHandshake, 1],
  [ApiKey.SaslAuthenticate, 2],
  [ApiKey.DescribeAcls, 3],
  [ApiKey.CreateAcls, 3],
  [ApiKey.DeleteAcls, 3],
  [ApiKey.DescribeUserScramCredentials, 0],
  [ApiKey.AlterUserScramCredentials, 0],
  [ApiKey.DescribeClientQuotas, 1],
  [ApiKey.AlterClientQuotas, 1],
]);

/**
 * Lowest versions the client can use (record batch v2 needs Produce 3 / Fetch 4; a consumer's
 * OffsetForLeaderEpoch needs v3, the first with a replica id, as Kafka's consumer).
 */
export const CLIENT_MIN_VERSIONS: ReadonlyMap<number, number> = new Map<number, number>([
  [ApiKey.Produce, 3],
  [ApiKey.Fetch, 4],
  [ApiKey.ListOffsets, 1],
  [ApiKey.OffsetForLeaderEpoch, 3],
]);

/** Kafka's client defaults for the connection options (request.timeout.ms 30000 ...). */
export const defaultConnectionOptions: ConnectionOptions = {
  clientId: 'samsa',
  requestTimeoutMs: 30000,
  connectTimeoutMs: 10000,
  reconnectBackoffMs: 50,
  reconnectBackoffMaxMs: 1000,
  maxVersions: CLIENT_MAX_VERSIONS,
  minVersions: CLIENT_MIN_VERSIONS,
  softwareName: 'samsa-client',
  softwareVersion: '0.1.0',
  ssl: undefined,
  sasl: undefined,
};
