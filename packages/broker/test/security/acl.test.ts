/**
 * The ACL authorizer end to end over SASL/PLAIN. Every API a client uses is sent by a
 * principal with no ACLs (denied with Kafka's *_AUTHORIZATION_FAILED code) and by one granted
 * exactly the ACL Kafka requires for it (allowed); then Kafka's rules with real clients:
 * implied DESCRIBE, Metadata hiding topics, prefixed ACLs, deny winning over allow, super
 * users, wildcard principals, and ACLs surviving a broker restart (metadata store).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { ApiKey, apiByName, ErrorCode, type ApiDescriptor } from '@samsa/protocol';
import { Admin, Cluster, Connection, Consumer, createAcls, defaultConnectionOptions, deleteAcls, Producer } from '@samsa/client';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { buildBatch } from '../storage/batch-builder.js';
import { listenerAddress, plainJaas, saslPlain } from '../support/security.js';

// Kafka's codes (org.apache.kafka.common.resource / acl).
const TOPIC = 2, GROUP = 3, CLUSTER = 4, TXN = 5;
const LITERAL = 3, PREFIXED = 4;
const ALL = 2, READ = 3, WRITE = 4, CREATE = 5, DELETE = 6, ALTER = 7, DESCRIBE = 8, DESCRIBE_CONFIGS = 10, ALTER_CONFIGS = 11;
const ALLOW = 3, DENY = 2;

let tb: TestBroker;
let dataDir: string;
let adminCluster: Cluster;

function brokerConfig(): Record<string, string> {
  return {
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'advertised.listeners': 'SASL_PLAINTEXT://localhost:0',
    'security.inter.broker.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(),
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'auto.create.topics.enable': 'false',
  };
}

async function grant(principal: string, resourceType: number, resourceName: string, operation: number, opts: { patternType?: number; permissionType?: number; host?: string } = {}): Promise<void> {
  const errors = await createAcls(adminCluster, [{ resourceType, resourceName, patternType: opts.patternType ?? LITERAL, principal, host: opts.host ?? '*', operation, permissionType: opts.permissionType ?? ALLOW }]);
  assert.deepEqual(errors, [null]);
}

async function revokeAll(principal: string): Promise<void> {
  await deleteAcls(adminCluster, [{ resourceType: 1, resourceName: null, patternType: 1, principal, host: null, operation: 1, permissionType: 1 }]);
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-acl-'));
  tb = await startBroker({ storage: 'file', dataDir, config: brokerConfig() });
  adminCluster = new Cluster({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: saslPlain('admin') });
  const admin = new Admin({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: saslPlain('admin') });
  await admin.createTopics({ topics: ['orders', 'orders-eu', 'secret', 'doomed', 'grow'].map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })) });
  await admin.close();
});
after(async () => {
  adminCluster?.close();
  await tb?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function connect(user: string): Promise<Connection> {
  const [host, port] = listenerAddress(tb, 'SASL_PLAINTEXT').split(':');
  const c = new Connection(host!, Number(port), -1, { ...defaultConnectionOptions, sasl: saslPlain(user) });
  await c.connect();
  return c;
}

interface ApiCase {
  api: keyof typeof apiByName;
  version: number;
  /** Exactly the ACLs Kafka requires (resourceType, name, operation). */
  needs: Array<[number, string, number]>;
  denied: number;
  body: () => unknown;
  /** The error code of the response that tells allowed from denied. */
  code: (res: any) => number;
}

const batch = (): Buffer => buildBatch({ records: [{ value: Buffer.from('acl') }] });
const API_CASES: ApiCase[] = [
  { api: 'Produce', version: 9, needs: [[TOPIC, 'orders', WRITE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'orders', partitionData: [{ index: 0, records: batch() }] }] }),
    code: (r) => r.responses[0].partitionResponses[0].errorCode },
  { api: 'Fetch', version: 11, needs: [[TOPIC, 'orders', READ]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [], rackId: '' }),
    code: (r) => r.responses[0].partitions[0].errorCode },
  { api: 'ListOffsets', version: 5, needs: [[TOPIC, 'orders', DESCRIBE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ replicaId: -1, isolationLevel: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] }),
    code: (r) => r.topics[0].partitions[0].errorCode },
  { api: 'OffsetForLeaderEpoch', version: 4, needs: [[TOPIC, 'orders', DESCRIBE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ replicaId: -1, topics: [{ topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] }),
    code: (r) => r.topics[0].partitions[0].errorCode },
  { api: 'Metadata', version: 9, needs: [[TOPIC, 'orders', DESCRIBE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topics: [{ name: 'orders' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }),
    code: (r) => r.topics[0].errorCode },
  { api: 'FindCoordinator', version: 3, needs: [[GROUP, 'g1', DESCRIBE]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ key: 'g1', keyType: 0 }), code: (r) => r.errorCode },
  { api: 'JoinGroup', version: 5, needs: [[GROUP, 'g1', READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: 'm', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }),
    code: (r) => r.errorCode },
  { api: 'SyncGroup', version: 3, needs: [[GROUP, 'g1', READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] }), code: (r) => r.errorCode },
  { api: 'Heartbeat', version: 3, needs: [[GROUP, 'g1', READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', generationId: 1, memberId: 'm', groupInstanceId: null }), code: (r) => r.errorCode },
  { api: 'LeaveGroup', version: 3, needs: [[GROUP, 'g1', READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', members: [{ memberId: 'm', groupInstanceId: null }] }), code: (r) => r.errorCode },
  { api: 'OffsetCommit', version: 7, needs: [[GROUP, 'g1', READ], [TOPIC, 'orders', READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    code: (r) => r.topics[0].partitions[0].errorCode },
  { api: 'OffsetFetch', version: 7, needs: [[GROUP, 'g1', DESCRIBE], [TOPIC, 'orders', DESCRIBE]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', topics: [{ name: 'orders', partitionIndexes: [0] }], requireStable: false }), code: (r) => r.errorCode || r.topics[0]?.partitions[0]?.errorCode || 0 },
  { api: 'DescribeGroups', version: 5, needs: [[GROUP, 'g1', DESCRIBE]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groups: ['g1'], includeAuthorizedOperations: false }), code: (r) => r.groups[0].errorCode },
  { api: 'OffsetDelete', version: 0, needs: [[GROUP, 'g1', DELETE], [TOPIC, 'orders', READ]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupId: 'g1', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] }), code: (r) => r.errorCode || r.topics[0]?.partitions[0]?.errorCode || 0 },
  { api: 'DeleteGroups', version: 2, needs: [[GROUP, 'g1', DELETE]], denied: ErrorCode.GROUP_AUTHORIZATION_FAILED,
    body: () => ({ groupsNames: ['g1'] }), code: (r) => r.results[0].errorCode },
  { api: 'CreateTopics', version: 5, needs: [[TOPIC, 'fresh', CREATE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topics: [{ name: 'fresh', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true }), code: (r) => r.topics[0].errorCode },
  { api: 'CreatePartitions', version: 2, needs: [[TOPIC, 'grow', ALTER]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topics: [{ name: 'grow', count: 2, assignments: null }], timeoutMs: 5000, validateOnly: true }), code: (r) => r.results[0].errorCode },
  { api: 'DeleteRecords', version: 1, needs: [[TOPIC, 'orders', DELETE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 }), code: (r) => r.topics[0].partitions[0].errorCode },
  { api: 'DescribeConfigs', version: 3, needs: [[TOPIC, 'orders', DESCRIBE_CONFIGS]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false }), code: (r) => r.results[0].errorCode },
  { api: 'IncrementalAlterConfigs', version: 1, needs: [[TOPIC, 'orders', ALTER_CONFIGS]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ resources: [{ resourceType: 2, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '600000' }] }], validateOnly: true }), code: (r) => r.responses[0].errorCode },
  { api: 'AlterConfigs', version: 1, needs: [[CLUSTER, 'kafka-cluster', ALTER_CONFIGS]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.cleaner.backoff.ms', value: '15000' }] }], validateOnly: true }), code: (r) => r.responses[0].errorCode },
  { api: 'AlterReplicaLogDirs', version: 2, needs: [[CLUSTER, 'kafka-cluster', ALTER]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ dirs: [{ path: '/no/such/dir', topics: [{ name: 'orders', partitions: [0] }] }] }), code: (r) => r.results[0].partitions[0].errorCode },
  { api: 'DescribeLogDirs', version: 3, needs: [[CLUSTER, 'kafka-cluster', DESCRIBE]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ topics: null }), code: (r) => r.errorCode },
  { api: 'DescribeProducers', version: 0, needs: [[TOPIC, 'orders', READ]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topics: [{ name: 'orders', partitionIndexes: [0] }] }), code: (r) => r.topics[0].partitions[0].errorCode },
  { api: 'InitProducerId', version: 4, needs: [[CLUSTER, 'kafka-cluster', 12 /* IDEMPOTENT_WRITE */]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }), code: (r) => r.errorCode },
  { api: 'InitProducerId', version: 4, needs: [[TXN, 'tx-1', WRITE]], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 }), code: (r) => r.errorCode },
  { api: 'AddPartitionsToTxn', version: 3, needs: [[TXN, 'tx-1', WRITE], [TOPIC, 'orders', WRITE]], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    body: () => ({ v3AndBelowTransactionalId: 'tx-1', v3AndBelowProducerId: 1n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'orders', partitions: [0] }] }),
    code: (r) => r.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode },
  { api: 'AddOffsetsToTxn', version: 3, needs: [[TXN, 'tx-1', WRITE], [GROUP, 'g-txn', READ]], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: 'tx-1', producerId: 1n, producerEpoch: 0, groupId: 'g-txn' }), code: (r) => r.errorCode },
  { api: 'EndTxn', version: 3, needs: [[TXN, 'tx-1', WRITE]], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: 'tx-1', producerId: 1n, producerEpoch: 0, committed: false }), code: (r) => r.errorCode },
  { api: 'WriteTxnMarkers', version: 1, needs: [[CLUSTER, 'kafka-cluster', 9 /* CLUSTER_ACTION */]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ markers: [{ producerId: 1n, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 0, topics: [{ name: 'no-such-topic', partitionIndexes: [0] }] }] }),
    code: (r) => r.markers[0].topics[0].partitions[0].errorCode },
  { api: 'TxnOffsetCommit', version: 3, needs: [[TXN, 'tx-1', WRITE], [GROUP, 'g-txn', READ], [TOPIC, 'orders', READ]], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    body: () => ({ transactionalId: 'tx-1', groupId: 'g-txn', producerId: 1n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] }),
    code: (r) => r.topics[0].partitions[0].errorCode },
  { api: 'DescribeTransactions', version: 0, needs: [[TXN, 'tx-1', DESCRIBE]], denied: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    body: () => ({ transactionalIds: ['tx-1'] }), code: (r) => r.transactionStates[0].errorCode },
  { api: 'DeleteTopics', version: 4, needs: [[TOPIC, 'doomed', DELETE]], denied: ErrorCode.TOPIC_AUTHORIZATION_FAILED,
    body: () => ({ topicNames: ['doomed'], timeoutMs: 5000 }), code: (r) => r.responses[0].errorCode },
  { api: 'CreateAcls', version: 2, needs: [[CLUSTER, 'kafka-cluster', ALTER]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ creations: [{ resourceType: TOPIC, resourceName: 'x', resourcePatternType: LITERAL, principal: 'User:nobody', host: '*', operation: READ, permissionType: ALLOW }] }), code: (r) => r.results[0].errorCode },
  { api: 'DescribeAcls', version: 2, needs: [[CLUSTER, 'kafka-cluster', DESCRIBE]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }), code: (r) => r.errorCode },
  { api: 'DeleteAcls', version: 2, needs: [[CLUSTER, 'kafka-cluster', ALTER]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ filters: [{ resourceTypeFilter: TOPIC, resourceNameFilter: 'x', patternTypeFilter: LITERAL, principalFilter: 'User:nobody', hostFilter: null, operation: 1, permissionType: 1 }] }), code: (r) => r.filterResults[0].errorCode },
  { api: 'DescribeUserScramCredentials', version: 0, needs: [[CLUSTER, 'kafka-cluster', DESCRIBE]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ users: null }), code: (r) => r.errorCode },
  { api: 'AlterUserScramCredentials', version: 0, needs: [[CLUSTER, 'kafka-cluster', ALTER]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ deletions: [], upsertions: [{ name: 'zed', mechanism: 1, iterations: 4096, salt: Buffer.alloc(16, 1), saltedPassword: Buffer.alloc(32, 2) }] }), code: (r) => r.results[0].errorCode },
  { api: 'ElectLeaders', version: 2, needs: [[CLUSTER, 'kafka-cluster', ALTER]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ electionType: 0, topicPartitions: null, timeoutMs: 5000 }), code: (r) => r.errorCode },
  { api: 'AlterPartitionReassignments', version: 0, needs: [[CLUSTER, 'kafka-cluster', ALTER]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ timeoutMs: 5000, topics: [] }), code: (r) => r.errorCode },
  { api: 'ListPartitionReassignments', version: 0, needs: [[CLUSTER, 'kafka-cluster', DESCRIBE]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ timeoutMs: 5000, topics: null }), code: (r) => r.errorCode },
  { api: 'DescribeClientQuotas', version: 1, needs: [[CLUSTER, 'kafka-cluster', DESCRIBE_CONFIGS]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ components: [], strict: false }), code: (r) => r.errorCode },
  { api: 'AlterClientQuotas', version: 1, needs: [[CLUSTER, 'kafka-cluster', ALTER_CONFIGS]], denied: ErrorCode.CLUSTER_AUTHORIZATION_FAILED,
    body: () => ({ entries: [{ entity: [{ entityType: 'user', entityName: 'zed' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], validateOnly: true }), code: (r) => r.entries[0].errorCode },
];

describe('every API: no ACL is denied, exactly the required ACL is allowed', () => {
  for (const c of API_CASES) {
    it(`${c.api} v${c.version} (${c.needs.map(([t, n, o]) => `${t}:${n}:${o}`).join(' + ')})`, async () => {
      const api = apiByName[c.api] as ApiDescriptor;
      const alice = await connect('alice');
      const denied = await alice.rawRequest(api, c.version, c.body());
      alice.close();
      assert.equal(c.code(denied), c.denied, `${c.api} without ACLs`);
      for (const [type, name, op] of c.needs) await grant('User:bob', type, name, op);
      try {
        const bob = await connect('bob');
        const allowed = await bob.rawRequest(api, c.version, c.body());
        bob.close();
        const code = c.code(allowed);
        assert.ok(!([ErrorCode.TOPIC_AUTHORIZATION_FAILED, ErrorCode.GROUP_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED] as number[]).includes(code), `${c.api} with its ACL answered ${code}`);
      } finally {
        await revokeAll('User:bob');
      }
    });
  }
  it('SaslHandshake/SaslAuthenticate/ApiVersions need no ACL (they come before authorization)', () => {
    const covered = new Set(API_CASES.map((c) => apiByName[c.api].apiKey));
    const served = tb.broker.handlers.map((h) => h.apiKey).filter((k) => !covered.has(k));
    // What is left without a case is exactly what Kafka does not authorize per resource
    // (ListGroups and ListTransactions filter their answers instead of failing).
    assert.deepEqual(served.sort((a, b) => a - b), [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate, ApiKey.DescribeCluster, ApiKey.ConsumerGroupHeartbeat, ApiKey.ConsumerGroupDescribe, ApiKey.ListGroups, ApiKey.ListTransactions].sort((a, b) => a - b));
  });
});

describe('Kafka ACL semantics with real clients', () => {
  it('WRITE implies DESCRIBE; Metadata shows only the topics a principal may describe', async () => {
    await grant('User:carol', TOPIC, 'orders', WRITE);
    const producer = new Producer({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: saslPlain('carol') });
    await producer.send({ topic: 'orders', messages: [{ value: 'by carol' }] });
    await producer.close();
    const kafka = new Kafka({ brokers: [listenerAddress(tb, 'SASL_PLAINTEXT')], sasl: { mechanism: 'plain', username: 'carol', password: 'carol-secret' }, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    assert.deepEqual(await admin.listTopics(), ['orders']);
    await admin.disconnect();
    await revokeAll('User:carol');
  });

  it('prefixed ACLs: READ on topics and groups starting with a prefix', async () => {
    await grant('User:carol', TOPIC, 'orders', READ, { patternType: PREFIXED });
    await grant('User:carol', GROUP, 'billing-', READ, { patternType: PREFIXED });
    const admin = new Producer({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: saslPlain('admin') });
    await admin.send({ topic: 'orders-eu', messages: [{ value: 'eu-1' }] });
    await admin.close();
    const consumer = new Consumer({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: saslPlain('carol'), groupId: 'billing-eu', autoOffsetReset: 'earliest' });
    consumer.subscribe(['orders-eu']);
    for await (const m of consumer) {
      assert.equal(m.value!.toString(), 'eu-1');
      break;
    }
    await consumer.close();
    // The prefix does not reach 'secret', and a group outside the prefix is refused.
    const c = await connect('carol');
    const fetch = await c.rawRequest(apiByName.Fetch, 11, API_CASES[1]!.body() as never) as any;
    assert.equal(fetch.responses[0].partitions[0].errorCode, ErrorCode.NONE);
    const secret = await c.rawRequest(apiByName.ListOffsets, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    assert.equal(secret.topics[0]!.partitions[0]!.errorCode, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    const join = await c.rawRequest(apiByName.JoinGroup, 5, { groupId: 'payroll', sessionTimeoutMs: 10000, rebalanceTimeoutMs: 10000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
    assert.equal(join.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    c.close();
    await revokeAll('User:carol');
  });

  it('deny wins over allow, also over a wildcard allow for every user', async () => {
    await grant('User:*', TOPIC, '*', READ);
    await grant('User:carol', TOPIC, 'secret', READ, { permissionType: DENY });
    // Fetch needs READ (ListOffsets would need only DESCRIBE, which a READ deny does not take away).
    const fetchFrom = async (user: string, topic: string): Promise<number> => {
      const c = await connect(user);
      const body = API_CASES[1]!.body() as { topics: Array<{ topic: string }> };
      body.topics[0]!.topic = topic;
      const r = (await c.rawRequest(apiByName.Fetch, 11, body as never)) as { responses: Array<{ partitions: Array<{ errorCode: number }> }> };
      c.close();
      return r.responses[0]!.partitions[0]!.errorCode;
    };
    try {
      assert.equal(await fetchFrom('carol', 'orders'), ErrorCode.NONE);
      assert.equal(await fetchFrom('carol', 'secret'), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
      assert.equal(await fetchFrom('alice', 'secret'), ErrorCode.NONE);
      // ALL denies every operation.
      await grant('User:alice', TOPIC, 'secret', ALL, { permissionType: DENY });
      assert.equal(await fetchFrom('alice', 'secret'), ErrorCode.TOPIC_AUTHORIZATION_FAILED);
    } finally {
      await revokeAll('User:*');
      await revokeAll('User:carol');
      await revokeAll('User:alice');
    }
  });

  it('Metadata and DescribeCluster report the operations the principal may perform (KIP-430)', async () => {
    await grant('User:carol', TOPIC, 'orders', READ);
    try {
      const ask = async (user: string): Promise<{ topic: number; cluster: number }> => {
        const c = await connect(user);
        const md = await c.rawRequest(apiByName.Metadata, 9, { topics: [{ name: 'orders' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
        c.close();
        return { topic: md.topics[0]!.topicAuthorizedOperations ?? 0, cluster: md.clusterAuthorizedOperations ?? 0 };
      };
      const bits = (ops: number[]): number => ops.reduce((m, op) => m | (1 << op), 0);
      // READ, and DESCRIBE which READ implies; nothing on the cluster.
      assert.deepEqual(await ask('carol'), { topic: bits([READ, DESCRIBE]), cluster: 0 });
      const admin = await ask('admin');
      assert.equal(admin.topic, bits([READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS]));
      assert.equal(admin.cluster, bits([CREATE, ALTER, DESCRIBE, 9, DESCRIBE_CONFIGS, ALTER_CONFIGS, 12]));
    } finally {
      await revokeAll('User:carol');
    }
  });

  it('ACLs live in the metadata store and survive a restart', async () => {
    await grant('User:carol', TOPIC, 'orders', DESCRIBE);
    await tb.broker.stop();
    adminCluster.close();
    tb = await startBroker({ storage: 'file', dataDir, config: brokerConfig() });
    adminCluster = new Cluster({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: saslPlain('admin') });
    const c = await connect('carol');
    const md = await c.rawRequest(apiByName.Metadata, 9, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    c.close();
    assert.deepEqual(md.topics.map((t) => t.name), ['orders']);
    await revokeAll('User:carol');
  });
});
