/**
 * The consumer-group acceptance scenarios, run once per client (kafkajs.test.ts,
 * confluent-kafka.test.ts, kcat.test.ts). Every member is a child process; every wait is bounded.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import {
  GROUP_BROKER_CONFIG, HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS,
  allCommitted, balanced, consumedValues, describeGroup, describeMembers, duplicates, killAll, produceNumbered, spawnMember, until, untilAsync,
  type ClientKind, type Member,
} from './support.js';

/** Failure detection is the session timeout; the rebalance after it must finish within this. */
export const REBALANCE_SLACK_MS = 3000;
const JOIN_MS = 30_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function log(line: string): void {
  process.stderr.write(`# ${line}\n`);
}

async function withBroker(fn: (tb: TestBroker, members: Member[]) => Promise<void>): Promise<void> {
  const tb = await startBroker({ config: GROUP_BROKER_CONFIG });
  const members: Member[] = [];
  try {
    await fn(tb, members);
  } finally {
    await killAll(members);
    await tb.stop();
    // Debugging aid: GROUPS_DUMP_DIR=dir keeps each member's stderr (with GROUP_MEMBER_DEBUG=cgrp for librdkafka's log).
    const dump = process.env.GROUPS_DUMP_DIR;
    if (dump !== undefined) for (const m of members) writeFileSync(join(dump, `${m.clientId}.err`), m.stderr);
  }
}

/** The broker's view (DescribeGroups, assignments decoded) equals what each live member reports. */
async function assertBrokerView(tb: TestBroker, group: string, topic: string, members: readonly Member[]): Promise<void> {
  const expected = members.map((m) => ({ clientId: m.clientId, partitions: m.current })).sort((a, b) => a.clientId.localeCompare(b.clientId));
  let last = '';
  await untilAsync('the broker to describe the members\' assignments', async () => {
    const d = await describeGroup(tb.port, group, topic);
    last = JSON.stringify(d);
    return d.state === 'Stable' && JSON.stringify(d.members.map((m) => ({ clientId: m.clientId, partitions: m.partitions }))) === JSON.stringify(expected);
  }, 10_000, () => `broker: ${last}\nmembers: ${JSON.stringify(expected)}`);
  const d = await describeGroup(tb.port, group, topic);
  assert.equal(d.protocolType, 'consumer');
  assert.ok(d.protocol !== '', 'the chosen assignor is described');
  for (const m of members) {
    const dm = d.members.find((x) => x.clientId === m.clientId)!;
    if (m.memberId !== null) assert.equal(dm.memberId, m.memberId, `${m.clientId}: member id`);
  }
}

/**
 * Three members on a 6-partition topic: two partitions each, disjoint, all six (members' and
 * broker's view). Records produced before the rebalance are all consumed and committed; one member
 * is SIGKILLed while idle with everything it processed committed, more records are produced
 * while the group notices and rebalances; its partitions move to the others within the session
 * timeout plus a slack, and the group consumes every record exactly once. Then a second member
 * is SIGKILLed while records are flowing: nothing is lost (redeliveries allowed only of what the
 * killed member had processed).
 */
export async function killAndRebalance(kind: ClientKind, opts: { strategy?: string } = {}): Promise<void> {
  await withBroker(async (tb, members) => {
    const label = opts.strategy === undefined ? kind : `${kind} (${opts.strategy})`;
    const topic = `${kind}-six`;
    const group = `${kind}-six-group`;
    await tb.broker.topics.createTopic({ name: topic, numPartitions: 6 });
    for (let i = 0; i < 3; i++) members.push(spawnMember(kind, { bootstrap: tb.bootstrap, group, topic, clientId: `${kind}-m${i}`, ...(opts.strategy !== undefined ? { strategy: opts.strategy } : {}) }));
    const detail = (): string => describeMembers(members);

    // -- three members, two partitions each
    await until('three members with two partitions each, disjoint and complete', () => balanced(members, 6, 2), JOIN_MS, detail);
    await assertBrokerView(tb, group, topic, members);

    // -- records before the rebalance, all processed and committed
    const produced = await produceNumbered(tb.port, topic, 6, 0, 300);
    await until('the first 300 records consumed', () => produced.every((v) => consumedValues(members).has(v)), 20_000, detail);
    await untilAsync('offsets committed up to the log end', () => allCommitted(tb.port, group, topic, 6), 10_000, detail);
    for (const m of members) assert.ok(m.records.every((r) => m.current!.includes(r.p)), `${m.clientId} consumed only its own partitions`);

    // -- SIGKILL a member idle in poll (nothing uncommitted), produce during the rebalance
    const [victim, ...survivors] = members as [Member, Member, Member];
    const victimPartitions = victim.current!;
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    const producing = (async () => {
      for (let i = 0; i < 12; i++) {
        produced.push(...(await produceNumbered(tb.port, topic, 6, 300 + i * 30, 30)));
        await sleep(300);
      }
    })();
    await until('the survivors to take over the killed member\'s partitions', () => balanced(survivors, 6, 3), SESSION_TIMEOUT_MS + 15_000, detail);
    const reassignedMs = Math.max(...survivors.map((m) => m.assignments.at(-1)!.at)) - killedAt;
    const afterTakeover = survivors.map((m) => m.current!);
    await producing;
    log(`${label}: partitions ${victimPartitions.join(',')} of the SIGKILLed member reassigned after ${reassignedMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    for (const p of victimPartitions) assert.ok(afterTakeover.some((c) => c.includes(p)), `partition ${p} taken over`);
    assert.ok(reassignedMs < SESSION_TIMEOUT_MS + REBALANCE_SLACK_MS, `reassigned after ${reassignedMs} ms, more than the session timeout + ${REBALANCE_SLACK_MS} ms`);
    // No LeaveGroup was sent: only the session timeout can have removed the member.
    assert.ok(reassignedMs >= SESSION_TIMEOUT_MS - 2 * HEARTBEAT_INTERVAL_MS, `reassigned after ${reassignedMs} ms, before the session timeout could expire`);

    await until('all 660 records consumed', () => produced.every((v) => consumedValues(members).has(v)), 20_000, detail);
    await untilAsync('offsets committed up to the log end', () => allCommitted(tb.port, group, topic, 6), 10_000, detail);
    if (opts.strategy === 'cooperative-sticky') {
      // librdkafka < 2.10 (here 2.0.2) treats an OffsetCommit answered ILLEGAL_GENERATION during a
      // cooperative rebalance (a commit sent with the old generation arrives after the JoinGroup
      // phase ended: Kafka answers the same) as a lost assignment, so the records whose commit
      // failed are delivered again (confluentinc/librdkafka#4059, fixed by #4908). Exactly-once
      // then holds for every record whose commit succeeded; the others are at-least-once.
      const failed = new Set(members.flatMap((m) => [...m.uncommitted]));
      const dups = duplicates(members);
      for (const d of dups) assert.ok(failed.has(d.split(' ')[0]!), `${d} delivered twice although its commit succeeded\n${detail()}`);
      log(`${label}: ${dups.length} records delivered twice after their commit failed with ILLEGAL_GENERATION (librdkafka#4059)`);
    } else {
      assert.deepEqual(duplicates(members), [], `every record consumed exactly once across the rebalance\n${detail()}`);
    }
    assert.deepEqual([...consumedValues(members)].sort(), [...produced].sort(), 'consumed set == produced set');
    await assertBrokerView(tb, group, topic, survivors);

    // -- general case: SIGKILL a member while records flow; at-least-once, nothing lost
    const [victim2, last] = survivors as [Member, Member];
    const victim2Before = victim2.records.length;
    const dupsBefore = new Set(duplicates(members).map((d) => d.split(' ')[0]!));
    let n = 660;
    const flowing = (async () => {
      for (let i = 0; i < 15; i++) {
        produced.push(...(await produceNumbered(tb.port, topic, 6, n, 20)));
        n += 20;
        if (i === 5) victim2.kill('SIGKILL');
        await sleep(100);
      }
    })();
    await flowing;
    await until('the last member to own all six partitions', () => balanced([last], 6, 6), SESSION_TIMEOUT_MS + 15_000, detail);
    await until(`all ${produced.length} records consumed`, () => produced.every((v) => consumedValues(members).has(v)), 20_000, detail);
    assert.deepEqual([...consumedValues(members)].sort(), [...produced].sort(), 'no record lost, none invented');
    // Redelivered: what the killed member had processed (its last commits died with it), and
    // anything whose commit failed. Records seen twice before this step are not counted again.
    const victim2Values = new Set(victim2.records.slice(victim2Before).map((r) => r.v));
    const failed = new Set(members.flatMap((m) => [...m.uncommitted]));
    const dups = duplicates(members).filter((d) => !dupsBefore.has(d.split(' ')[0]!));
    for (const d of dups) assert.ok(victim2Values.has(d.split(' ')[0]!) || failed.has(d.split(' ')[0]!), `only records the killed member had processed, or whose commit failed, are redelivered: ${d}\n${detail()}`);
    log(`${label}: member SIGKILLed mid-stream: ${produced.length} records, ${dups.length} redelivered (processed by the killed member, not committed), commit errors: ${members.map((m) => m.commitErrors.length).join('/')}`);
  });
}

/**
 * A fourth member of a group on a 3-partition topic stays idle; the other three have one partition
 * each and consume everything. Then an active member shuts down cleanly (SIGTERM: the client
 * closes and sends LeaveGroup): the idle member takes its partition well before a session
 * timeout could have noticed, and the group goes on consuming every record once.
 */
export async function idleFourthMember(kind: ClientKind): Promise<void> {
  await withBroker(async (tb, members) => {
    const topic = `${kind}-three`;
    const group = `${kind}-three-group`;
    await tb.broker.topics.createTopic({ name: topic, numPartitions: 3 });
    for (let i = 0; i < 4; i++) members.push(spawnMember(kind, { bootstrap: tb.bootstrap, group, topic, clientId: `${kind}-q${i}` }));
    const detail = (): string => describeMembers(members);
    await until('three members with one partition each and one idle', () => balanced(members, 3, 1, 1), JOIN_MS, detail);
    await assertBrokerView(tb, group, topic, members);
    const d = await describeGroup(tb.port, group, topic);
    assert.equal(d.members.length, 4);
    assert.deepEqual(d.members.map((m) => m.partitions.length).sort(), [0, 1, 1, 1]);

    const produced = await produceNumbered(tb.port, topic, 3, 0, 90);
    await until('90 records consumed', () => produced.every((v) => consumedValues(members).has(v)), 20_000, detail);
    const idle = members.find((m) => m.current!.length === 0)!;
    assert.equal(idle.records.length, 0, `the idle member ${idle.clientId} consumed nothing`);
    assert.deepEqual(duplicates(members), []);
    assert.ok(balanced(members, 3, 1, 1), 'no rebalance happened meanwhile');

    const leaving = members.find((m) => m.current!.length === 1)!;
    const rest = members.filter((m) => m !== leaving);
    const leavingPartition = leaving.current![0]!;
    const leftAt = Date.now();
    leaving.kill('SIGTERM');
    await until('the idle member to take over the partition of the member that left', () => balanced(rest, 3, 1), SESSION_TIMEOUT_MS + 15_000, detail);
    const tookOverMs = idle.assignments.at(-1)!.at - leftAt;
    log(`${kind}: LeaveGroup on shutdown: partition ${leavingPartition} moved to the idle member after ${tookOverMs} ms`);
    assert.ok(tookOverMs < SESSION_TIMEOUT_MS - 500, `took over after ${tookOverMs} ms: no faster than the session timeout, as if no LeaveGroup was sent`);
    await Promise.race([leaving.exited, sleep(10_000)]);
    assert.ok(!leaving.alive, `${leaving.clientId} exited after SIGTERM`);
    produced.push(...(await produceNumbered(tb.port, topic, 3, 90, 90)));
    await until('180 records consumed', () => produced.every((v) => consumedValues(members).has(v)), 20_000, detail);
    assert.ok(idle.records.length > 0, 'the formerly idle member consumes');
    assert.deepEqual(duplicates(members), [], 'each record once (everything was committed before the member left)');
  });
}
