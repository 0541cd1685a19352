// Issue 13 item 3: with three descriptors per partition, 10,000 partitions ran out of
// descriptors (EMFILE): the topic stayed recorded with partitions missing, the listener stopped
// accepting, and after kill -9 the broker could not start at all. Segment files are now opened
// lazily and idle ones closed (src/storage/open-files.ts), so 20,000 partitions run under the
// common default limit of 1,024 descriptors, and the broker restarts after kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { createRecordBatch, decodeRecordBatches, encodeRecordBatch } from '@samsa/protocol/records';
import { samsaCommand } from '../../src/testkit/server-process.js';
import { freePort, type ServerProcess } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';
import { mountTmpfs } from './tmpfs.js';

const TOPICS = ['many-a', 'many-b', 'many-c', 'many-d'];
const PARTITIONS_PER_TOPIC = 5_000;
const NOFILE = 1024;
/** Partitions of every topic written to and read back. */
const SAMPLE = [0, 1, 777, 2_500, 4_999];

/** `samsa server` under `prlimit --nofile=1024:1024` (node raises its soft limit only up to the hard one). */
async function startLimited(props: string, logDir: string): Promise<ServerProcess> {
  const child = spawn('prlimit', [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, ...samsaCommand(), 'server', props], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SAMSA_LOG: 'INFO', NODE_TEST_CONTEXT: undefined, LOG_DIR: logDir },
  });
  child.stdout!.resume();
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const started = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', () => stderr.includes('started (cluster') && resolve());
    child.on('exit', () => reject(new Error(`broker exited:\n${stderr}`)));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  try {
    await started;
  } finally {
    clearTimeout(timer);
  }
  return { child, stderr: () => stderr, exited };
}

function openDescriptors(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function portOf(props: string): number {
  return Number(/listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(props, 'utf8'))![1]);
}

const valueOf = (topic: string, p: number): string => `${topic}/${p}`;

test('20,000 partitions in 4 topics under a 1,024-descriptor limit: created, produced to, kill -9, restarted, read back', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-many-'));
  // The logs on a tmpfs: creating 60,000 files on this shared VM's disk takes minutes of journal
  // work that has nothing to do with descriptors.
  const fs = mountTmpfs('2g');
  const props = join(dir, 'server.properties');
  writeFileSync(props, `listeners=PLAINTEXT://127.0.0.1:${await freePort()}\nlog.dirs=${join(fs.path, 'logs')}\noffsets.topic.replication.factor=1\n`);
  let server: ServerProcess | null = null;
  try {
    server = await startLimited(props, join(dir, 'out-1'));
    const pid = server.child.pid!;
    assert.match(readFileSync(`/proc/${pid}/limits`, 'utf8'), new RegExp(`^Max open files\\s+${NOFILE}\\s+${NOFILE}`, 'm'));
    const c = await WireClient.connect(portOf(props));
    for (const name of TOPICS) {
      const r = await c.send(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: PARTITIONS_PER_TOPIC, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 120_000, validateOnly: false });
      assert.equal(r.topics[0].errorCode, ErrorCode.NONE, `${name}: ${r.topics[0].errorMessage}`);
    }
    assert.ok(openDescriptors(pid) < NOFILE * 0.75, `descriptors open: ${openDescriptors(pid)}`);
    for (const name of TOPICS) {
      const partitionData = SAMPLE.map((index) => ({ index, records: encodeRecordBatch(createRecordBatch([{ key: null, value: Buffer.from(valueOf(name, index)) }])) }));
      const r = await c.send(ApiKey.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name, partitionData }] });
      for (const p of r.responses[0].partitionResponses) assert.equal(p.errorCode, ErrorCode.NONE, `${name}-${p.index}`);
    }
    // Exhaust the broker's descriptors with connections: accepting fails (EMFILE) while they are
    // open, and the listener accepts again once they are gone.
    const sockets = await Promise.all(Array.from({ length: NOFILE }, () => new Promise<Socket>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: portOf(props) });
      s.on('error', () => {});
      s.once('connect', () => resolve(s));
      s.once('close', () => resolve(s));
    })));
    for (const s of sockets) s.destroy();
    const second = await WireClient.connect(portOf(props));
    const one = await second.send(ApiKey.Metadata, 12, { topics: [{ name: TOPICS[0], topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(one.topics[0].partitions.length, PARTITIONS_PER_TOPIC);
    second.close();
    c.close();

    server.child.kill('SIGKILL');
    await server.exited;
    server = await startLimited(props, join(dir, 'out-2'));
    const after = await WireClient.connect(portOf(props));
    const md = await after.send(ApiKey.Metadata, 12, { topics: TOPICS.map((name) => ({ name, topicId: '00000000-0000-0000-0000-000000000000' })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    for (const t of md.topics) {
      assert.equal(t.errorCode, ErrorCode.NONE, t.name);
      assert.equal(t.partitions.length, PARTITIONS_PER_TOPIC, t.name);
    }
    for (const name of TOPICS) {
      const partitions = SAMPLE.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }));
      const f = await after.send(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: name, partitions }], forgottenTopicsData: [], rackId: '' });
      for (const p of f.responses[0].partitions) {
        assert.equal(p.errorCode, ErrorCode.NONE, `${name}-${p.partitionIndex}`);
        const values = decodeRecordBatches(p.records).flatMap((b) => b.records.map((r) => r.value!.toString()));
        assert.deepEqual(values, [valueOf(name, p.partitionIndex)], `${name}-${p.partitionIndex}`);
      }
    }
    assert.ok(openDescriptors(server.child.pid!) < NOFILE * 0.75, `descriptors open after the restart: ${openDescriptors(server.child.pid!)}`);
    after.close();
  } finally {
    server?.child.kill('SIGKILL');
    await server?.exited;
    fs.unmount();
    rmSync(dir, { recursive: true, force: true });
  }
});
