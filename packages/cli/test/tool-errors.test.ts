// Issue 13 item 10: small gaps users hit. The console consumer without --group joins a
// generated console-consumer-NNNNN group (and commits nothing), removed flags say what to use
// instead, and tool errors print Kafka's exception text, not only a code name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, KafkaError, Producer } from '@samsa/client';
import { startBroker } from '@samsa/broker/testkit';
import { describeError } from '../src/tool.js';
import { run } from './support.js';

test('removed flags name their replacement; kafka-topics leaves --zookeeper to the ZooKeeper work', async () => {
  const r = await run('kafka-console-consumer', ['--zookeeper', 'localhost:2181', '--topic', 't']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /zookeeper is not a recognized option: --zookeeper was removed from Kafka's tools; use --bootstrap-server/);
  const g = await run('kafka-consumer-groups', ['--bootstrap-server', 'localhost:1', '--list', '--new-consumer']);
  assert.match(g.stderr, /use nothing: the new consumer is the only one instead/);
});

test('kafka-configs --zookeeper is only for SCRAM credentials of a named user (the brokers\' bootstrap step)', async () => {
  const topic = await run('kafka-configs', ['--zookeeper', '127.0.0.1:1', '--alter', '--entity-type', 'topics', '--entity-name', 't', '--add-config', 'retention.ms=1']);
  assert.equal(topic.code, 1);
  assert.match(topic.stderr, /--zookeeper only describes and alters the SCRAM credentials of a named user/);
  const quota = await run('kafka-configs', ['--zookeeper', '127.0.0.1:1', '--alter', '--entity-type', 'users', '--entity-name', 'u', '--add-config', 'producer_byte_rate=1024']);
  assert.match(quota.stderr, /--zookeeper only alters SCRAM credentials \(SCRAM-SHA-256, SCRAM-SHA-512\); use --bootstrap-server for producer_byte_rate/);
  const both = await run('kafka-configs', ['--zookeeper', '127.0.0.1:1', '--bootstrap-server', 'localhost:9092', '--describe', '--entity-type', 'users', '--entity-name', 'u']);
  assert.match(both.stderr, /Only one of --bootstrap-server or --zookeeper must be specified/);
});

test('Kafka exception text for broker errors', () => {
  assert.equal(describeError(new KafkaError(36, "Topic 'x' already exists.")), "org.apache.kafka.common.errors.TopicExistsException: Topic 'x' already exists.");
  assert.equal(describeError(new KafkaError(69)), 'org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.');
  assert.equal(describeError(new KafkaError(3, 'topic t')), 'org.apache.kafka.common.errors.UnknownTopicOrPartitionException: This server does not host this topic-partition.');
});

test('kafka-topics --create of an existing topic prints the broker\'s message and logs the exception; the console consumer without --group uses a console-consumer-NNNNN group', async () => {
  const tb = await startBroker();
  try {
    const created = await run('kafka-topics', ['--bootstrap-server', tb.bootstrap, '--create', '--topic', 'cc', '--partitions', '2']);
    assert.equal(created.code, 0, created.stderr);
    const again = await run('kafka-topics', ['--bootstrap-server', tb.bootstrap, '--create', '--topic', 'cc']);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /^Error while executing topic command : Topic 'cc' already exists\.?\n$/);
    assert.match(again.stderr, /ERROR org\.apache\.kafka\.common\.errors\.TopicExistsException: Topic 'cc' already exists/);

    const producer = new Producer({ bootstrapServers: tb.bootstrap });
    await producer.send({ topic: 'cc', messages: [{ value: 'one' }, { value: 'two' }, { value: 'three' }] });
    await producer.close();
    const consumed = await run('kafka-console-consumer', ['--bootstrap-server', tb.bootstrap, '--topic', 'cc', '--from-beginning', '--max-messages', '3', '--timeout-ms', '20000']);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.deepEqual(consumed.stdout.split('\n').filter((l) => l !== '').sort(), ['one', 'three', 'two']);
    const admin = new Admin({ bootstrapServers: tb.bootstrap });
    try {
      const groups = (await admin.listGroups()).map((g) => g.groupId).filter((g) => g.startsWith('console-consumer-'));
      assert.equal(groups.length, 1, 'one generated group');
      assert.match(groups[0]!, /^console-consumer-\d{1,5}$/);
      // A throwaway group: nothing committed.
      const offsets = await admin.listConsumerGroupOffsets(groups[0]!);
      assert.ok(offsets.every((o) => o.offset < 0n), JSON.stringify(offsets, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    } finally {
      await admin.close();
    }
  } finally {
    await tb.stop();
  }
});
