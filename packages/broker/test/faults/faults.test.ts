/**
 * The fault suite's CI subset: the checkers on hand-made histories (each violation they must
 * report), seeded schedules, fixed seeds on a real 3-broker cluster in network namespaces on a
 * 3-member ZooKeeper ensemble (kill -9, SIGSTOP beyond the session timeout, partitions, kill -9
 * of the ZooKeeper leader, clock skew, kill -9 of the transaction coordinator mid-transaction with the
 * exactly-once check), and a deliberately broken build
 * (the leader's HW at its own log end, acknowledging before followers have the records) that
 * the checker must catch. The soak is `npm run faults -- --runs N --seed S`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { check, checkExactlyOnce, type Ack, type Rec } from './checker.js';
import { ZkClient } from '../../src/metadata/zookeeper/zk-client.js';
import { FaultHarness, runOnce } from './run.js';
import { ALL_FAULT_KINDS, scheduleFor } from './schedule.js';

const ack = (v: string, p: number, o: number, k = 'k0'): Ack => ({ k, v, p, o, sent: 0, ts: 0 });
const rec = (v: string, p: number, o: number, k = 'k0'): Rec => ({ k, v, p, o });
/** A failing run's history lands here (the path is in the assertion message). */
const historyDir = mkdtempSync(join(tmpdir(), 'samsa-faults-history-'));
const none = { commits: [], committed: new Map<string, number>(), faults: [] };

describe('checker', () => {
  test('a clean history passes', () => {
    const r = check({ ...none, acks: [ack('w-0', 0, 0), ack('w-1', 0, 1)], records: [rec('w-0', 0, 0), rec('w-1', 0, 1), rec('w-2', 0, 2)] });
    assert.equal(r.ok, true);
    assert.equal(r.acknowledged, 2);
  });

  test('reports lost, duplicated, reordered and moved records', () => {
    const r = check({
      ...none,
      acks: [ack('w-0', 0, 0), ack('w-1', 0, 1), ack('w-2', 0, 2), ack('w-3', 0, 3)],
      records: [rec('w-0', 0, 0), rec('w-2', 0, 1), rec('w-1', 0, 2), rec('w-1', 0, 3)],
    });
    assert.equal(r.ok, false);
    assert.deepEqual(r.lost, ['w-3 (key k0, acknowledged at 0@3)']);
    assert.deepEqual(r.duplicated, ['w-1 at 0@2,0@3']);
    assert.deepEqual(r.reordered, ['w-1 at 0@2 after w-2 at 0@1']);
    assert.deepEqual(r.offsetsMoved, ['w-1 acknowledged at 0@1, found at 0@2,0@3', 'w-2 acknowledged at 0@2, found at 0@1']);
  });

  test('an acknowledgement without an offset is checked for loss only (seed 1042 of the first soak)', () => {
    const unknown: Ack = { ...ack('w-1', 0, 0), o: null };
    const r = check({ ...none, acks: [ack('w-0', 0, 0), unknown, { ...unknown, v: 'w-2' }], records: [rec('w-0', 0, 0), rec('w-1', 0, 1)] });
    assert.equal(r.withoutOffset, 1);
    assert.deepEqual(r.offsetsMoved, []);
    assert.deepEqual(r.lost, ['w-2 (key k0, acknowledged at 0@null)']);
  });

  test('reports committed offsets lost and recovery times', () => {
    const r = check({
      acks: [{ k: 'k0', v: 'w-0', p: 0, o: 0, sent: 100, ts: 150 }, { k: 'k0', v: 'w-1', p: 0, o: 1, sent: 1200, ts: 1700 }],
      records: [rec('w-0', 0, 0), rec('w-1', 0, 1)],
      commits: [{ g: 'a', p: 0, o: 20, ts: 1 }, { g: 'a', p: 0, o: 40, ts: 2 }, { g: 'a', p: 1, o: 5, ts: 3 }, { g: 'b', p: 0, o: 30, ts: 4 }],
      committed: new Map([['a/0', 20], ['a/1', 5], ['b/0', 30]]),
      faults: [{ kind: 'kill', startMs: 1000, endMs: 3000 }, { kind: 'pause', startMs: 5000, endMs: 9000 }],
    });
    assert.deepEqual(r.committedLost, ['a/0: committed 40 acknowledged, 20 after healing']);
    assert.deepEqual(r.recoveryMs, [700, null]);
  });
});

describe('exactly-once checker', () => {
  const input = [rec('in-0', 0, 0), rec('in-1', 0, 1), rec('in-2', 1, 0)];
  const ends = new Map([[0, 2], [1, 1]]);

  test('each input once in the output, offsets at the end: passes', () => {
    const r = checkExactlyOnce(input, [rec('in-2', 0, 0), rec('in-0', 1, 0), rec('in-1', 1, 2)], new Map([[0, 2], [1, 1]]), ends);
    assert.equal(r.ok, true, JSON.stringify(r));
  });

  test('reports missing, duplicated, unexpected, ahead-of-offsets and unfinished', () => {
    const r = checkExactlyOnce(input, [rec('in-0', 0, 0), rec('in-0', 0, 3), rec('in-2', 1, 0), rec('x-9', 2, 0)], new Map([[0, 2], [1, 0]]), ends);
    assert.deepEqual(r.missing, ['in-1 (input 0@1, committed 2)']);
    assert.deepEqual(r.duplicated, ['in-0 at 0@0,0@3']);
    assert.deepEqual(r.unexpected, ['x-9 at 2@0']);
    assert.deepEqual(r.aheadOfOffsets, ['in-2 (input 1@0, committed 0, output 1@0)']);
    assert.deepEqual(r.unfinished, ['partition 1: committed 0, input ends at 1']);
    assert.equal(r.ok, false);
  });
});

test('the default kinds keep the schedules of earlier soaks; sizes come from a stream of their own', () => {
  // Seed 6 as the first soak and the CI subset ran it.
  assert.deepEqual(scheduleFor(6, 3, 6000, 4000).map(({ kind, broker, atMs, durationMs }) => ({ kind, broker, atMs, durationMs })), [
    { kind: 'partition-brokers', broker: 2, atMs: 1502, durationMs: 2808 },
    { kind: 'kill', broker: 3, atMs: 5916, durationMs: 5683 },
  ]);
  for (let seed = 0; seed < 50; seed++) {
    for (const f of scheduleFor(seed, 3, 12000, 4000, 2, ALL_FAULT_KINDS)) {
      if (f.kind === 'clock-skew') assert.ok(Math.abs(f.amount) >= 2 && Math.abs(f.amount) <= 10, `skew ${f.amount} min`);
      else if (f.kind === 'loss-between-brokers') assert.ok(f.amount >= 10 && f.amount <= 40, `loss ${f.amount}%`);
      else if (f.kind === 'delay-between-brokers') assert.ok(f.amount >= 50 && f.amount <= 500, `delay ${f.amount} ms`);
      else assert.equal(f.amount, 0);
    }
  }
});

test('a seed gives the same schedule each time, other seeds other schedules', () => {
  assert.deepEqual(scheduleFor(42, 3, 12000, 4000), scheduleFor(42, 3, 12000, 4000));
  const distinct = new Set(Array.from({ length: 20 }, (_, s) => JSON.stringify(scheduleFor(s, 3, 12000, 4000))));
  assert.ok(distinct.size > 15);
  for (const f of scheduleFor(7, 3, 12000, 4000)) {
    assert.ok(f.broker >= 1 && f.broker <= 3);
    if (f.kind === 'pause') assert.ok(f.durationMs > 4000, 'a pause outlasts the session timeout');
  }
});

describe('on a 3-broker cluster in network namespaces', () => {
  let harness: FaultHarness;
  before(async () => {
    harness = await FaultHarness.open();
  });
  after(async () => {
    await harness?.close();
  });

  // Fixed seeds: 6 (a two-way partition of broker 2 from the others, then kill -9 of broker 3), 2 (SIGSTOP of broker 3 beyond the session timeout).
  for (const seed of [6, 2]) {
    test(`seed ${seed}: no acknowledged record lost or duplicated, no committed offset lost`, async () => {
      const r = await runOnce(harness, { seed, workloadMs: 10000, historyDir });
      assert.ok(r.report.acknowledged > 50, `acknowledged ${r.report.acknowledged}`);
      assert.ok(r.commits > 0, 'the groups committed offsets');
      assert.equal(r.historyFile, null, `history of the failing run: ${r.historyFile}`);
      assert.deepEqual({ lost: r.report.lost, duplicated: r.report.duplicated, reordered: r.report.reordered, moved: r.report.offsetsMoved, committedLost: r.report.committedLost }, { lost: [], duplicated: [], reordered: [], moved: [], committedLost: [] });
      assert.ok(r.report.recoveryMs.every((ms) => ms !== null), `every fault recovered: ${r.report.recoveryMs}`);
    });
  }

  // Seed 6 over the clock and ZooKeeper kinds: kill -9 of the ZooKeeper leader (restarted 2.8 s
  // later), then broker 3's wall clock goes 7 minutes back and broker 1's 7 minutes forward for
  // 5.7 s (libfaketime; timers keep real time). The same seed over clock-skew,zk-quorum-loss
  // found committed offsets unreadable after healing (RESULTS.md): followers' fetch backoff ran on
  // the wall clock; fixed, with test/replication/fetch-backoff-clock.test.ts.
  test('seed 6 (ZooKeeper leader killed, then clocks skewed by minutes): nothing lost or duplicated', async () => {
    const r = await runOnce(harness, { seed: 6, workloadMs: 10000, kinds: ['clock-skew', 'zk-leader-kill'], historyDir });
    assert.deepEqual(r.faults.map((f) => f.kind), ['zk-leader-kill', 'clock-skew']);
    assert.ok(r.report.acknowledged > 50, `acknowledged ${r.report.acknowledged}`);
    assert.ok(r.commits > 0, 'the groups committed offsets');
    assert.deepEqual({ lost: r.report.lost, duplicated: r.report.duplicated, committedLost: r.report.committedLost }, { lost: [], duplicated: [], committedLost: [] });
    assert.equal(r.historyFile, null, `history of the failing run: ${r.historyFile}`);
  });

  // Issue 12's finding: SIGSTOP of the ZooKeeper leader for 4-5 s fenced all three brokers,
  // because our ZooKeeper client declared its own session expired after a session timeout
  // disconnected and never left a silent member (nor gave up connecting to one). Here the pause
  // is 7.5 s, almost twice the brokers' 4 s session timeout: on the old client brokers 2 and 3
  // lose their followers' connections, hang connecting to the paused leader and expire
  // themselves, and re-register on new sessions. As with
  // Apache's client, a broker now leaves a silent member after 2/3 of the session timeout, tries
  // the next member of its connect string, and keeps its session: the new ZooKeeper leader gives
  // every session a fresh timeout, and only a server can say a session expired. Broker 1 starts
  // on the leader (it must notice the silence: the read timeout), brokers 2 and 3 on the followers
  // (which drop their clients when they lose the leader).
  const PAUSE_MS = 7500;
  test('SIGSTOP of the ZooKeeper leader for 7.5 s (session timeout 4 s): brokers move to another member on the same session, none fenced, nothing lost', async (t) => {
    await harness.zk.waitForQuorum();
    const leader = await harness.zk.leader();
    assert.ok(leader !== null, 'the ensemble has a leader');
    const [f1, f2] = harness.zk.ids.filter((m) => m !== leader) as [number, number];
    const order: Record<number, number[]> = { 1: [leader, f1, f2], 2: [f1, leader, f2], 3: [f2, leader, f1] };
    // The ZooKeeper session that owns each broker's registration, when the brokers are up and after the run.
    const owners: Record<'started' | 'checked', string[]> = { started: [], checked: [] };
    const r = await runOnce(harness, {
      seed: 12,
      workloadMs: 13000,
      schedule: [{ kind: 'zk-leader-pause', broker: leader, atMs: 2000, durationMs: PAUSE_MS, amount: 0 }],
      zkMembersFor: (id) => order[id]!,
      probe: async (when, cluster) => {
        const zk = await ZkClient.connect({ connectString: cluster.zkConnect, sessionTimeoutMs: 10000, connectionTimeoutMs: 30000 });
        try {
          for (const id of cluster.ids) owners[when].push(`broker ${id}: 0x${(await zk.exists(`/brokers/ids/${id}`))?.ephemeralOwner.toString(16) ?? 'none'}`);
        } finally {
          await zk.close();
        }
      },
      historyDir,
    });
    const lines = (id: number): string => r.sessionLines.get(id)!.join('\n');
    for (const id of [1, 2, 3]) t.diagnostic(`broker ${id} (zookeeper.connect members ${order[id]!.join(',')}, leader ${leader}):\n${lines(id)}`);
    assert.deepEqual(owners.checked, owners.started, 'every broker is registered by the session it started with');
    for (const id of [1, 2, 3]) {
      assert.doesNotMatch(lines(id), /Lost the .* session|has expired/, `broker ${id} lost its session:\n${lines(id)}`);
      const sessions = new Set([...lines(id).matchAll(/Session establishment complete on server \S+, session id = (0x[0-9a-f]+)/g)].map((m) => m[1]));
      assert.equal(sessions.size, 1, `broker ${id} kept one session:\n${lines(id)}`);
    }
    // Broker 1 sat on the paused leader: it heard nothing for 2/3 of the session timeout, left, and
    // got its session back on another member.
    const leaderServer = `${harness.zk.address(leader)}:2181`;
    assert.match(lines(1), new RegExp(`Client session timed out, have not heard from server in \\d+ms .* to ${leaderServer.replace(/\./g, '\\.')}`), lines(1));
    const servers = [...lines(1).matchAll(/Session establishment complete on server (\S+),/g)].map((m) => m[1]);
    assert.equal(servers[0], leaderServer);
    assert.ok(servers.length >= 2 && servers.at(-1) !== leaderServer, `broker 1 moved to another member: ${servers.join(' -> ')}`);
    assert.ok(r.report.acknowledged > 50, `acknowledged ${r.report.acknowledged}`);
    assert.equal(r.historyFile, null, `history of the failing run: ${r.historyFile}`);
    assert.deepEqual({ lost: r.report.lost, duplicated: r.report.duplicated, reordered: r.report.reordered, committedLost: r.report.committedLost }, { lost: [], duplicated: [], reordered: [], committedLost: [] });
    assert.ok(r.report.recoveryMs.every((ms) => ms !== null), `writes resumed after the pause: ${r.report.recoveryMs}`);
  });

  // Seed 3 of txn-kill: the transaction coordinator's broker and another output-partition leader
  // kill -9ed mid-transaction, restarted 2.3 s later; the output holds each input exactly once.
  test('seed 3 (kill -9 of the transaction coordinator and a partition leader mid-transaction): exactly once', async () => {
    const r = await runOnce(harness, { seed: 3, workloadMs: 10000, kinds: ['txn-kill'], historyDir });
    const eo = r.exactlyOnce!;
    assert.ok(eo !== null, 'the transactional workload ran');
    assert.ok(r.observations.some((o) => /transaction coordinator: broker \d \(Ongoing\)/.test(o)), `killed mid-transaction: ${r.observations.join('; ')}`);
    assert.equal(r.historyFile, null, `history of the failing run: ${r.historyFile}`);
    assert.deepEqual({ missing: eo.missing, duplicated: eo.duplicated, unexpected: eo.unexpected, ahead: eo.aheadOfOffsets, unfinished: eo.unfinished }, { missing: [], duplicated: [], unexpected: [], ahead: [], unfinished: [] });
    assert.ok(eo.inputs > 0 && eo.outputs === eo.inputs);
    // Two of three brokers die here: no writer may lose or duplicate a record (the @samsa/client
    // producer once re-sent batches of unknown outcome under a new producer id; RESULTS.md, seed 7016).
    assert.deepEqual({ lost: r.report.lost, duplicated: r.report.duplicated }, { lost: [], duplicated: [] });
  });

  test('the checker catches a build whose leader acknowledges before followers have the records', async () => {
    // Cut from its peers, then kill -9 before the ISR shrinks: what it acknowledged alone is gone.
    const r = await runOnce(harness, { seed: 5, workloadMs: 10000, kinds: ['cut-then-kill'], historyDir, brokerEnv: { SAMSA_TEST_UNSAFE_HW_AT_LOG_END: '1' } });
    assert.equal(r.report.ok, false, 'the broken build lost nothing the checker saw');
    assert.ok(r.report.lost.length + r.report.offsetsMoved.length > 0);
  });
});
