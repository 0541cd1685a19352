// Incremental cooperative rebalancing (KIP-415) with connect-distributed processes on the default
// connect.protocol (sessioned): a third worker joining takes only its share and the tasks that stay
// put are not restarted; a worker killed with SIGKILL has its tasks held back for
// scheduled.rebalance.max.delay.ms and then placed on the survivors, again without restarting theirs.
// Restarts are counted from the status topic: every task start writes a RUNNING record.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Admin, Consumer } from '@samsa/client';
import { connectFixture, type ConnectorStatusBody, distributedWorkerProps, rest, spawnWorker, waitFor, type WorkerProcess, writeProperties } from './support.js';

const fixture = connectFixture('connect-cooperative-');
const live = fixture.live;

const TASKS = 6;
const DELAY_MS = 3000;

/** Every status-task record so far, in order, as [task id, state, worker]. */
async function statusRecords(): Promise<Array<[number, string, string]>> {
  const admin = new Admin({ bootstrapServers: fixture.broker.bootstrap });
  const ends = await admin.listOffsets([0, 1].map((partition) => ({ topic: 'coop-status', partition, spec: 'latest' as const })));
  await admin.close();
  const reader = new Consumer({ bootstrapServers: fixture.broker.bootstrap, autoOffsetReset: 'earliest' });
  const tps = [0, 1].map((partition) => ({ topic: 'coop-status', partition }));
  reader.assign(tps);
  reader.seekToBeginning(tps);
  const out: Array<[number, string, string]> = [];
  const done = async (): Promise<boolean> => {
    for (const e of ends) if ((await reader.position({ topic: 'coop-status', partition: e.partition })) < BigInt(e.offset)) return false;
    return true;
  };
  await waitFor(async () => {
    for (const b of await reader.poll(200)) {
      for (const m of b.messages) {
        const k = /^status-task-coop-sink-(\d+)$/.exec(m.key?.toString() ?? '');
        if (k === null || m.value === null) continue;
        const v = JSON.parse(m.value.toString()) as { state: string; worker_id: string };
        out.push([Number(k[1]), v.state, v.worker_id]);
      }
    }
    return done();
  }, 20000, () => 'status topic not read to its end');
  await reader.close();
  return out;
}

const startsOf = (records: Array<[number, string, string]>, task: number): number => records.filter(([t, s]) => t === task && s === 'RUNNING').length;

test('cooperative rebalancing moves only what must move and restarts nothing else; lost tasks wait for the delay', async () => {
  const props = writeProperties(
    join(fixture.dir, 'worker.properties'),
    distributedWorkerProps(fixture.broker.bootstrap, 'coop-cluster', 'coop', { 'offset.storage.partitions': '2', 'scheduled.rebalance.max.delay.ms': String(DELAY_MS) }),
  );
  const admin = new Admin({ bootstrapServers: fixture.broker.bootstrap });
  await admin.createTopics({ topics: [{ topic: 'coop-lines', numPartitions: TASKS, replicationFactor: 1 }] });
  const w1 = await spawnWorker('distributed', [props]);
  live.add(w1);
  const w2 = await spawnWorker('distributed', [props]);
  live.add(w2);
  const created = await rest(w1.url, 'PUT', '/connectors/coop-sink/config', { 'connector.class': 'FileStreamSink', 'tasks.max': String(TASKS), file: join(fixture.dir, 'out.txt'), topics: 'coop-lines' });
  assert.equal(created.status, 201, JSON.stringify(created.body));

  let status: ConnectorStatusBody | null = null;
  const placement = (): Map<number, string> => new Map(status!.tasks.map((t) => [t.id, t.worker_id]));
  const settled = async (workers: WorkerProcess[], perWorker: number): Promise<boolean> => {
    status = (await rest(workers[0]!.url, 'GET', '/connectors/coop-sink/status')).body as ConnectorStatusBody;
    if (status.connector.state !== 'RUNNING' || status.tasks.length !== TASKS || !status.tasks.every((t) => t.state === 'RUNNING')) return false;
    return workers.every((w) => status!.tasks.filter((t) => t.worker_id === w.workerId).length === perWorker);
  };
  await waitFor(() => settled([w1, w2], TASKS / 2), 60000, () => `status: ${JSON.stringify(status)}`);

  // config-topic updates trigger rounds too; once they are done the group is stable on "sessioned"
  let group: Awaited<ReturnType<Admin['describeGroups']>>[number] | undefined;
  await waitFor(async () => ([group] = await admin.describeGroups(['coop-cluster'])) && group!.state === 'Stable', 30000, () => JSON.stringify(group));
  assert.equal(group!.protocolType, 'connect');
  assert.equal(group!.protocol, 'sessioned', 'the default connect.protocol is sessioned');

  // a third worker joins: it takes two tasks (one from each), the other four keep running untouched
  const before2 = placement();
  const records2 = await statusRecords();
  const w3 = await spawnWorker('distributed', [props]);
  live.add(w3);
  await waitFor(() => settled([w1, w2, w3], TASKS / 3), 60000, () => `status: ${JSON.stringify(status)}`);
  const before3 = placement();
  const records3 = await statusRecords();
  const stayed = [...before3].filter(([task, worker]) => before2.get(task) === worker).map(([task]) => task);
  assert.equal(stayed.length, TASKS - TASKS / 3, `only w3's share moved: ${JSON.stringify([...before2])} -> ${JSON.stringify([...before3])}`);
  for (const task of stayed) assert.equal(startsOf(records3, task), startsOf(records2, task), `task ${task} stayed on its worker and was not restarted`);
  for (const [task, worker] of before3) if (worker === w3.workerId) assert.equal(startsOf(records3, task), startsOf(records2, task) + 1);
  assert.ok(w1.output().includes('Revoked') || w2.output().includes('Revoked'), 'the overloaded workers revoked their excess');

  // kill w2: its tasks are lost, held back for the delay, then placed on w1 and w3; theirs keep running
  const lost = [...before3].filter(([, w]) => w === w2.workerId).map(([task]) => task);
  const killedAt = Date.now();
  w2.child.kill('SIGKILL');
  assert.equal(await w2.exited, 'SIGKILL');
  await waitFor(() => settled([w1, w3], TASKS / 2), 90000, () => `status: ${JSON.stringify(status)}`);
  const elapsed = Date.now() - killedAt;
  // the session expires (~5-6 s after the kill), then the delay runs before anything is placed
  assert.ok(elapsed >= DELAY_MS + 4000, `lost tasks were placed ${elapsed} ms after the kill, before the delay ran out`);
  assert.ok((w1.output() + w3.output()).includes(`Delaying reassignment of lost connectors`), 'the leader held the lost work back');
  const records4 = await statusRecords();
  for (const [task, worker] of before3) {
    if (worker === w2.workerId) assert.equal(startsOf(records4, task), startsOf(records3, task) + 1, `lost task ${task} started once on a survivor`);
    else assert.equal(startsOf(records4, task), startsOf(records3, task), `task ${task} on a survivor was not restarted`);
  }
  assert.equal(lost.length, TASKS / 3);
  const [afterKill] = await admin.describeGroups(['coop-cluster']);
  assert.equal(afterKill!.members.length, 2);

  for (const w of [w1, w3]) w.child.kill('SIGTERM');
  assert.deepEqual(await Promise.all([w1.exited, w3.exited]), [0, 0]);
  await admin.close();
});
