/**
 * Three in-process brokers on a real ZooKeeper and on a real etcd: replica placement and
 * leadership spread, every broker's Metadata agrees, real clients (kafkajs, kcat, kafka-python,
 * confluent-kafka) see three brokers, the leader check, controller failover and leader election
 * from the ISR, and fencing when a broker's session expires.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, encodeRecordBatch } from '@samsa/protocol/records';
import kafkajs from 'kafkajs';

const { ConfigResourceTypes, Kafka, logLevel } = kafkajs;
import { startCluster, type TestCluster } from '../../src/testkit/index.js';
import type { MetadataImage } from '../../src/metadata/image.js';
import { createLogger } from '../../src/util/log.js';
import { WireClient } from '../testkit/wire-client.js';

const quiet = createLogger('test', { level: (process.env['SAMSA_TEST_LOG'] as 'INFO' | undefined) ?? 'ERROR' });

async function metadataFrom(port: number, topic: string): Promise<any> {
  const c = await WireClient.connect(port);
  try {
    return await c.send(ApiKey.Metadata, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  } finally {
    c.close();
  }
}

/** Runs a client process without blocking the event loop (the brokers under test live in this process). */
function runTool(cmd: string, args: string[], timeoutMs: number): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function waitImage(cluster: TestCluster, pred: (i: MetadataImage) => boolean, what: string): Promise<void> {
  return Promise.all([...cluster.brokers.values()].map(async (b) => {
    if (!(await b.broker.topics.metadata.waitFor(pred, 30000))) {
      const i = b.broker.metadata;
      assert.fail(`broker ${b.broker.nodeId}: timed out waiting for ${what}: fenced=${i.fenced} brokers=${i.brokers.map((x) => x.nodeId)} controller=${i.controllerId} spread=${JSON.stringify(i.topic('spread')?.partitions.map((p) => [p.leader, p.isr]))}`);
    }
  })).then(() => undefined);
}

for (const store of ['zookeeper', 'etcd'] as const) {
  describe(`3 brokers on ${store}`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster({ brokers: 3, store, sessionTimeoutMs: 4000, logger: quiet });
    });
    after(async () => {
      await cluster?.stop();
    });

    test('RF 3 x 6 partitions: replicas and leaders spread evenly, Metadata from every broker agrees', async () => {
      const kafka = new Kafka({ clientId: 'cluster-test', brokers: [cluster.broker(1).bootstrap], logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      try {
        assert.equal(await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 3 }], waitForLeaders: true }), true);
        await assert.rejects(admin.createTopics({ topics: [{ topic: 'too-many', numPartitions: 1, replicationFactor: 4 }] }), (e: any) => (e.errors?.[0] ?? e).type === 'INVALID_REPLICATION_FACTOR');
        const described = await admin.describeCluster();
        assert.equal(described.brokers.length, 3);
      } finally {
        await admin.disconnect();
      }
      // Kafka's message, on the wire.
      const c = await WireClient.connect(cluster.broker(2).port);
      try {
        const r = await c.send(ApiKey.CreateTopics, 5, { topics: [{ name: 'too-many', numPartitions: 1, replicationFactor: 4, assignments: [], configs: [] }], timeoutMs: 10000, validateOnly: false });
        assert.equal(r.topics[0].errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
        assert.equal(r.topics[0].errorMessage, 'Unable to replicate the partition 4 time(s): The target replication factor of 4 cannot be reached because only 3 broker(s) are registered.');
      } finally {
        c.close();
      }
      await waitImage(cluster, (i) => i.topic('spread')?.partitions.every((p) => p.leader >= 0) ?? false, 'leaders everywhere');
      const answers = await Promise.all([...cluster.brokers.values()].map((b) => metadataFrom(b.port, 'spread')));
      const views = answers.map((r) => JSON.stringify({ brokers: r.brokers.map((b: any) => [b.nodeId, b.port]).sort(), controller: r.controllerId, parts: r.topics[0].partitions.map((p: any) => [p.partitionIndex, p.leaderId, p.replicaNodes, p.isrNodes]) }));
      assert.equal(new Set(views).size, 1, `brokers disagree:\n${views.join('\n')}`);
      const parts = answers[0].topics[0].partitions;
      assert.equal(parts.length, 6);
      const replicaCount = new Map<number, number>();
      const leaderCount = new Map<number, number>();
      for (const p of parts) {
        assert.equal(p.errorCode, ErrorCode.NONE);
        assert.equal(new Set(p.replicaNodes).size, 3);
        assert.equal(p.leaderId, p.replicaNodes[0], 'the preferred replica leads a new partition');
        assert.deepEqual([...p.isrNodes].sort(), [...p.replicaNodes].sort());
        for (const r of p.replicaNodes) replicaCount.set(r, (replicaCount.get(r) ?? 0) + 1);
        leaderCount.set(p.leaderId, (leaderCount.get(p.leaderId) ?? 0) + 1);
      }
      assert.deepEqual([...replicaCount.values()], [6, 6, 6]);
      assert.deepEqual([...leaderCount.values()].sort(), [2, 2, 2]);
    });

    test('librdkafka (kcat) and kafka-python list the 3 brokers', async () => {
      const kcat = await runTool('kcat', ['-L', '-b', cluster.broker(2).bootstrap, '-t', 'spread'], 20000);
      assert.equal(kcat.status, 0, kcat.stderr);
      assert.match(kcat.stdout, /3 brokers:/);
      assert.match(kcat.stdout, /6 partitions:/);
      const py = await runTool('/usr/bin/python3', ['-c', `
import sys
from kafka import KafkaAdminClient
a = KafkaAdminClient(bootstrap_servers='${cluster.broker(0).bootstrap}', request_timeout_ms=15000)
print(len(a.describe_cluster()['brokers']))
from confluent_kafka.admin import AdminClient
md = AdminClient({'bootstrap.servers': '${cluster.broker(1).bootstrap}'}).list_topics(timeout=15)
print(len(md.brokers), len(md.topics['spread'].partitions))
`], 40000);
      assert.equal(py.status, 0, py.stderr);
      assert.deepEqual(py.stdout.trim().split('\n'), ['3', '3 6']);
    });

    test('Produce to a partition this broker does not lead: NOT_LEADER_OR_FOLLOWER; the leader takes it', async () => {
      const img = cluster.broker(0).broker.metadata;
      const p = img.topic('spread')!.partitions.find((x) => x.leader !== 0)!;
      const records = encodeRecordBatch(createRecordBatch([{ key: Buffer.from('k'), value: Buffer.from('v') }]));
      const req = { acks: 1, timeoutMs: 1000, topicData: [{ name: 'spread', partitionData: [{ index: p.partition, records }] }] };
      const wrong = await WireClient.connect(cluster.broker(0).port);
      const right = await WireClient.connect(cluster.broker(p.leader).port);
      try {
        const r1 = await wrong.send(ApiKey.Produce, 7, req);
        assert.equal(r1.responses[0].partitionResponses[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
        const r2 = await right.send(ApiKey.Produce, 7, req);
        assert.equal(r2.responses[0].partitionResponses[0].errorCode, ErrorCode.NONE);
        // Fetch v10: from v11 a consumer may read from a follower (KIP-392), and every broker here is a replica.
        const f = await wrong.send(ApiKey.Fetch, 10, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'spread', partitions: [{ partition: p.partition, currentLeaderEpoch: -1, fetchOffset: 0n, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
        assert.equal(f.responses[0].partitions[0].errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
      } finally {
        wrong.close();
        right.close();
      }
    });

    test('the controller goes away: a new one is elected and its partitions get leaders from the ISR', async () => {
      const old = await cluster.controller();
      const before = cluster.broker((old + 1) % 3).broker.metadata.topic('spread')!;
      const led = before.partitions.filter((p) => p.leader === old);
      assert.ok(led.length > 0);
      const t0 = Date.now();
      await cluster.killBroker(old);
      const next = await cluster.controller();
      const electedMs = Date.now() - t0;
      assert.notEqual(next, old);
      await waitImage(cluster, (i) => i.brokers.length === 2 && (i.topic('spread')?.partitions.every((p) => p.leader !== old && !p.isr.includes(old)) ?? false), 'leaders off the stopped broker');
      const afterImg = cluster.broker(next).broker.metadata.topic('spread')!;
      for (const p of led) {
        const now = afterImg.partitions[p.partition]!;
        assert.ok(p.isr.includes(now.leader), `new leader ${now.leader} of ${p.partition} was in the ISR ${p.isr}`);
        assert.equal(now.leaderEpoch, p.leaderEpoch + 1);
        assert.deepEqual(now.offlineReplicas, [old]);
      }
      console.log(`# ${store}: controller ${old} stopped; broker ${next} controller after ${electedMs} ms`);
      // It comes back: registered again, back in every ISR.
      await cluster.restartBroker(old);
      await waitImage(cluster, (i) => i.brokers.length === 3 && (i.topic('spread')?.partitions.every((p) => p.isr.length === 3 && p.offlineReplicas.length === 0) ?? false), 'the broker back in the ISRs');
    });

    test('a broker whose session expires is fenced (leads nothing) and rejoins', async () => {
      const controller = await cluster.controller();
      const victimId = [0, 1, 2].find((id) => id !== controller && cluster.brokers.has(id) && cluster.broker(id).broker.metadata.topic('spread')!.partitions.some((p) => p.leader === id))
        ?? [0, 1, 2].find((id) => id !== controller)!;
      const victim = cluster.broker(victimId).broker;
      const fencedSeen: boolean[] = [];
      const ledWhileFenced: number[] = [];
      const off = victim.topics.onChange((i) => {
        fencedSeen.push(i.fenced);
        // Fenced, it leads nothing (Produce/Fetch answer NOT_LEADER_OR_FOLLOWER).
        if (!i.fenced) return;
        for (const p of i.topic('spread')!.partitions) {
          if (i.isLeader(victimId, 'spread', p.partition) || victim.partitions.getPartition('spread', p.partition)?.isLeader === true) ledWhileFenced.push(p.partition);
        }
      });
      await victim.metadataStore.expireSession();
      const deadline = Date.now() + 20000;
      while (!fencedSeen.includes(true)) {
        if (Date.now() > deadline) assert.fail('the broker never fenced itself');
        await new Promise((r) => setTimeout(r, 20));
      }
      await waitImage(cluster, (i) => !i.fenced && i.brokers.length === 3 && (i.topic('spread')?.partitions.every((p) => p.isr.length === 3) ?? false), 'the broker to rejoin');
      off();
      assert.equal(victim.metadata.fenced, false);
      assert.deepEqual(ledWhileFenced, []);
    });
  });
}

describe('3 brokers on the shared in-memory store: admin at any broker reaches every broker', () => {
  test('topic and broker configs altered through one broker apply on the others', async () => {
    const cluster = await startCluster({ brokers: 3, store: 'memory', logger: quiet });
    const kafka = new Kafka({ clientId: 'configs', brokers: [cluster.broker(0).bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'cfg', numPartitions: 3, replicationFactor: 2 }], waitForLeaders: true });
      await admin.alterConfigs({ validateOnly: false, resources: [
        { type: ConfigResourceTypes.TOPIC, name: 'cfg', configEntries: [{ name: 'retention.ms', value: '1234' }] },
        { type: ConfigResourceTypes.BROKER, name: '2', configEntries: [{ name: 'num.partitions', value: '5' }] },
      ] });
      await waitImage(cluster, (i) => i.topic('cfg')?.configs.get('retention.ms') === '1234', 'the topic config everywhere');
      const deadline = Date.now() + 10000;
      while (cluster.broker(2).broker.config.int('num.partitions') !== 5) {
        if (Date.now() > deadline) assert.fail('broker 2 never applied its dynamic config');
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal(cluster.broker(1).broker.config.int('num.partitions'), 1);
      // Every broker's hosted replicas of the topic carry the new config.
      for (const b of cluster.brokers.values()) {
        const hosted = b.broker.partitions.topic('cfg');
        if (hosted !== undefined) assert.equal(hosted.config.num('retention.ms'), 1234);
      }
    } finally {
      await admin.disconnect();
      await cluster.stop();
    }
  });
});
