/**
 * Committed offsets survive a broker crash. `samsa server` (a child process, file storage) serves
 * three groups, one per client (kafkajs and confluent-kafka committing after each record, kcat
 * auto-committing), that consume a topic and commit; the broker is SIGKILLed and restarted on the
 * same data directory; new members of the same groups then read only the records produced after
 * the committed offsets. A Kafka-format reader of `__consumer_offsets` (the segment files as the
 * crash left them, and Fetch after the restart) sees every commit the clients made.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { WireClient } from '../testkit/wire-client.js';
import { lastCommits, readOffsetsTopicByFetch, readOffsetsTopicFromDisk, type OffsetsTopicContent } from './offsets-reader.js';
import {
  allCommitted, clientMissing, freePort, startServer, committedOffsets, describeMembers, killAll, produceNumbered, recordValue, spawnMember, until, untilAsync,
  type ClientKind, type Member, type Server,
} from './support.js';

const TOPIC = 'resume';
const PARTITIONS = 3;
const OFFSETS_PARTITIONS = 3;
const KAFKAJS_METADATA = 'kafkajs-commit-metadata';

function kinds(): ClientKind[] {
  return (['kafkajs', 'confluent-kafka', 'kcat'] as const).filter((k) => clientMissing(k) === false);
}

/** Every commit a client reported is in the topic: group, topic, partition, offset, metadata. */
function assertCommitsPresent(content: OffsetsTopicContent, members: readonly Member[], groupOf: (m: Member) => string, where: string): void {
  for (const m of members) {
    for (const c of m.commits) {
      const found = content.commits.some((e) => e.group === groupOf(m) && e.topic === TOPIC && e.partition === c.p && e.offset === c.o && e.metadata === (c.metadata ?? ''));
      assert.ok(found, `${where}: ${m.clientId}'s commit of ${TOPIC}-${c.p} at ${c.o} (metadata ${JSON.stringify(c.metadata)}) is not in __consumer_offsets`);
    }
  }
}

test('committed offsets survive SIGKILL of the broker; restarted members resume after them; __consumer_offsets holds every commit in Kafka\'s format', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-groups-restart-'));
  const port = await freePort();
  const logDir = join(dir, 'logs');
  const props = join(dir, 'server.properties');
  writeFileSync(props, [
    'node.id=0',
    `listeners=PLAINTEXT://127.0.0.1:${port}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    `log.dirs=${logDir}`,
    'offsets.topic.replication.factor=1',
    `offsets.topic.num.partitions=${OFFSETS_PARTITIONS}`,
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    '',
  ].join('\n'));
  const bootstrap = `127.0.0.1:${port}`;
  const groupOf = (m: Member): string => `resume-${m.kind}`;
  const members: Member[] = [];
  let server: Server | null = await startServer(props);
  try {
    const c = await WireClient.connect(port, '127.0.0.1', 'restart-admin');
    const created = await c.send(ApiKey.CreateTopics, 4, { topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal(created.topics[0].errorCode, ErrorCode.NONE);
    c.close();
    const before = await produceNumbered(port, TOPIC, PARTITIONS, 0, 30);

    // -- one single-member group per client consumes everything and commits
    const first = kinds().map((kind) => spawnMember(kind, { bootstrap, group: `resume-${kind}`, topic: TOPIC, clientId: `${kind}-before`, ...(kind === 'kafkajs' ? { metadata: KAFKAJS_METADATA } : {}) }));
    members.push(...first);
    const detail = (): string => describeMembers(members);
    for (const m of first) {
      await until(`${m.clientId} to consume the first 30 records`, () => before.every((v) => m.records.some((r) => r.v === v)), 30_000, detail);
      await untilAsync(`${m.clientId}'s offsets committed`, () => allCommitted(port, groupOf(m), TOPIC, PARTITIONS), 10_000, detail);
    }
    const committedBefore = new Map<string, Array<{ offset: number; metadata: string | null }>>();
    for (const m of first) committedBefore.set(groupOf(m), await committedOffsets(port, groupOf(m), TOPIC, PARTITIONS));
    for (const [group, offs] of committedBefore) assert.deepEqual(offs.map((o) => o.offset), [10, 10, 10], `${group} committed`);
    assert.deepEqual(committedBefore.get('resume-kafkajs')?.map((o) => o.metadata), [KAFKAJS_METADATA, KAFKAJS_METADATA, KAFKAJS_METADATA]);

    // -- crash: SIGKILL the broker (the members are still connected), then the members
    server.child.kill('SIGKILL');
    await server.exited;
    server = null;
    await killAll(first);

    // -- the segment files as the crash left them hold every commit, in Kafka's format
    const onDisk = readOffsetsTopicFromDisk(logDir);
    assertCommitsPresent(onDisk, first, groupOf, 'on disk after SIGKILL');
    const lastOnDisk = lastCommits(onDisk);
    for (const m of first) {
      for (let p = 0; p < PARTITIONS; p++) {
        const e = lastOnDisk.get(`${groupOf(m)}/${TOPIC}/${p}`);
        assert.equal(e?.offset, 10, `${groupOf(m)} ${TOPIC}-${p}: last commit on disk`);
        assert.equal(e.metadata, m.kind === 'kafkajs' ? KAFKAJS_METADATA : '');
      }
      const g = onDisk.groups.filter((x) => x.group === groupOf(m) && x.value !== null).at(-1);
      assert.ok(g !== undefined, `GroupMetadata of ${groupOf(m)} on disk`);
      assert.equal(g.value!.protocolType, 'consumer');
      assert.ok(g.value!.generation >= 1);
      assert.deepEqual(g.value!.members.map((x) => x.clientId), [m.clientId]);
    }
    process.stderr.write(`# on disk after SIGKILL: ${onDisk.commits.length} offset commits, ${onDisk.groups.length} group records\n`);

    // -- restart on the same directory: the offsets are there, new members resume after them
    const restartAt = Date.now();
    server = await startServer(props);
    for (const [group, offs] of committedBefore) {
      await untilAsync(`${group}'s offsets after the restart`, async () => JSON.stringify(await committedOffsets(port, group, TOPIC, PARTITIONS)) === JSON.stringify(offs), 10_000);
    }
    const byFetch = await readOffsetsTopicByFetch(port, OFFSETS_PARTITIONS);
    assertCommitsPresent(byFetch, first, groupOf, 'over Fetch after the restart');
    // Nothing was committed since the crash: Fetch serves exactly what the files hold.
    assert.deepEqual(byFetch.commits, onDisk.commits, 'Fetch and the segment files agree');

    const after = await produceNumbered(port, TOPIC, PARTITIONS, 30, 15);
    const second = kinds().map((kind) => spawnMember(kind, { bootstrap, group: `resume-${kind}`, topic: TOPIC, clientId: `${kind}-after` }));
    members.push(...second);
    // The new records are the last of each partition and a member gets a partition's records in
    // offset order: once it has all of them, anything replayed from before the commits is in too.
    for (const m of second) {
      await until(`${m.clientId} to consume the 15 new records`, () => after.every((v) => m.records.some((r) => r.v === v)), 30_000, detail);
    }
    const resumedMs = Date.now() - restartAt;
    for (const m of second) {
      assert.deepEqual(m.records.map((r) => r.v).sort(), [...after].sort(), `${m.clientId} resumed after the committed offsets: nothing before them replayed`);
      assert.ok(m.records.every((r) => r.o >= 10), `${m.clientId}: offsets from 10`);
      assert.ok(!m.records.some((r) => r.v === recordValue(0)));
    }
    process.stderr.write(`# restarted members of ${second.length} groups resumed ${resumedMs} ms after the restart (the dead members loaded with the group time out first)\n`);
    server.child.kill('SIGTERM');
    await server.exited;
    server = null;
  } finally {
    await killAll(members);
    if (server !== null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
