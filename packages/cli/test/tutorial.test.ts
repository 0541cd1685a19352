/**
 * Kafka's quick start, and the operations tutorials that follow it, with our tools as child
 * processes against a file-storage broker: topics, console producer/consumer, groups and lag,
 * offset resets, configs, both perf tests, get-offsets, delete-records and dump-log.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Admin } from '@samsa/client';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { binExists, compiled, lines, pkgRoot, run, start, waitFor } from './support.js';

let broker: TestBroker;
let admin: Admin;
let bs: string;

before(async () => {
  broker = await startBroker({ storage: 'file' });
  bs = broker.bootstrap;
  admin = new Admin({ bootstrapServers: bs });
});
after(async () => {
  await admin.close();
  await broker.stop();
});

async function endOffsets(topic: string): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
}

test('the quick start and the tools tour, in order', async (t) => {
  const topic = 'quickstart-events';
  const nodeId = (await admin.describeCluster()).brokers[0]!.nodeId;

  await t.test('kafka-topics --create with 3 partitions', async () => {
    const r = await run('kafka-topics', ['--create', '--topic', topic, '--partitions', '3', '--replication-factor', '1', '--bootstrap-server', bs]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Created topic ${topic}.\n`);
    // a second create fails as Kafka's does, unless --if-not-exists
    const again = await run('kafka-topics', ['--create', '--topic', topic, '--bootstrap-server', bs]);
    assert.equal(again.code, 1);
    assert.match(again.stdout, /^Error while executing topic command : .*already exists/);
    const quiet = await run('kafka-topics', ['--create', '--topic', topic, '--if-not-exists', '--bootstrap-server', bs]);
    assert.equal(quiet.code, 0, quiet.stdout + quiet.stderr);
    assert.equal(quiet.stdout, '');
  });

  await t.test('kafka-topics --list (comma list with a space, as tutorials write it) and `samsa topics`', async () => {
    const r = await run('kafka-topics', ['--list', '--bootstrap-server', `${bs}, ${bs}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lines(r.stdout).includes(topic), r.stdout);
    const viaSamsa = await run('samsa', ['topics', '--list', '--exclude-internal', '--broker-list', bs]);
    assert.equal(viaSamsa.code, 0, viaSamsa.stderr);
    assert.deepEqual(lines(viaSamsa.stdout), lines(r.stdout).filter((x) => !x.startsWith('__')));
  });

  await t.test('kafka-topics --describe: Kafka\'s lines with Leader/Replicas/Isr', async () => {
    const r = await run('kafka-topics', ['--describe', '--topic', topic, '--bootstrap-server', bs]);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.length, 4);
    assert.match(out[0]!, new RegExp(`^Topic: ${topic}\\tTopicId: [A-Za-z0-9_-]{22}\\tPartitionCount: 3\\tReplicationFactor: 1\\tConfigs: `));
    for (let p = 0; p < 3; p++) {
      assert.equal(out[p + 1], `\tTopic: ${topic}\tPartition: ${p}\tLeader: ${nodeId}\tReplicas: ${nodeId}\tIsr: ${nodeId}\tElr: N/A\tLastKnownElr: N/A`);
    }
  });

  await t.test('kafka-console-producer: lines from stdin, without and with keys', async () => {
    const plain = await run('kafka-console-producer', ['--topic', topic, '--bootstrap-server', bs], { input: 'This is my first event\nThis is my second event\n' });
    assert.equal(plain.code, 0, plain.stderr);
    const keyed = await run('kafka-console-producer', ['--topic', topic, '--bootstrap-server', bs, '--property', 'parse.key=true', '--property', 'key.separator=:'], { input: 'user1:alice\nuser2:bob\nuser3:carol\n' });
    assert.equal(keyed.code, 0, keyed.stderr);
    const bad = await run('kafka-console-producer', ['--topic', topic, '--bootstrap-server', bs, '--property', 'parse.key=true'], { input: 'no separator here\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /No key separator found on line number 1: 'no separator here'/);
    const total = [...(await endOffsets(topic)).values()].reduce((a, b) => a + b, 0n);
    assert.equal(total, 5n);
  });

  await t.test('kafka-console-consumer --from-beginning --max-messages, with keys printed', async () => {
    const r = await run('kafka-console-consumer', ['--topic', topic, '--from-beginning', '--bootstrap-server', bs, '--max-messages', '5', '--property', 'print.key=true', '--property', 'key.separator=|']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout).sort(), ['null|This is my first event', 'null|This is my second event', 'user1|alice', 'user2|bob', 'user3|carol']);
    assert.match(r.stderr, /Processed a total of 5 messages\n$/);
  });

  await t.test('kafka-console-consumer --partition --offset: one partition from an offset', async () => {
    const ends = await endOffsets(topic);
    const [p, end] = [...ends].sort((a, b) => Number(b[1] - a[1]))[0]!;
    assert.ok(end >= 2n, 'the two unkeyed events share a partition');
    const r = await run('kafka-console-consumer', ['--topic', topic, '--partition', String(p), '--offset', '1', '--bootstrap-server', bs, '--max-messages', String(end - 1n), '--property', 'print.offset=true', '--property', 'print.partition=true']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out.length, Number(end - 1n));
    out.forEach((l, i) => assert.match(l, new RegExp(`^Partition:${p}\\tOffset:${i + 1}\\t`)));
    // --timeout-ms ends a consumer that has nothing more to read
    const idle = await run('kafka-console-consumer', ['--topic', topic, '--partition', String(p), '--offset', 'latest', '--bootstrap-server', bs, '--timeout-ms', '500']);
    assert.equal(idle.code, 0, idle.stderr);
    assert.equal(idle.stdout, '');
    assert.match(idle.stderr, /Processed a total of 0 messages/);
  });

  const shared = 'shared-events';
  const group = 'shared-group';
  const perPartition = new Map<number, number>();

  await t.test('two console consumers in one group each get a disjoint share', async () => {
    const c = await run('kafka-topics', ['--create', '--topic', shared, '--partitions', '3', '--bootstrap-server', bs]);
    assert.equal(c.code, 0, c.stderr);
    const args = ['--topic', shared, '--group', group, '--from-beginning', '--bootstrap-server', bs, '--property', 'print.partition=true', '--consumer-property', 'heartbeat.interval.ms=200'];
    const a = start('kafka-console-consumer', args, { timeoutMs: 40_000 });
    const b = start('kafka-console-consumer', args, { timeoutMs: 40_000 });
    try {
      await waitFor(async () => {
        try {
          const [d] = await admin.describeGroups([group]);
          return d!.state === 'Stable' && d!.members.length === 2 && d!.members.every((m) => m.assignment !== null && [...m.assignment.values()].flat().length > 0);
        } catch {
          return false;
        }
      }, 'both consumers to be assigned partitions', 30_000);
      const input = Array.from({ length: 30 }, (_, i) => `key${i}:value${i}\n`).join('');
      const p = await run('kafka-console-producer', ['--topic', shared, '--bootstrap-server', bs, '--property', 'parse.key=true', '--property', 'key.separator=:'], { input });
      assert.equal(p.code, 0, p.stderr);
      await waitFor(() => lines(a.stdout()).length + lines(b.stdout()).length >= 30, 'all 30 records to be printed');
    } finally {
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
    }
    const [ra, rb] = await Promise.all([a.done, b.done]);
    assert.equal(ra.code, 0, ra.stderr);
    assert.equal(rb.code, 0, rb.stderr);
    const va = lines(ra.stdout);
    const vb = lines(rb.stdout);
    assert.ok(va.length > 0 && vb.length > 0, `both got a share: ${va.length} / ${vb.length}`);
    assert.equal(va.length + vb.length, 30);
    assert.deepEqual([...va, ...vb].map((l) => l.split('\t')[1]).sort(), Array.from({ length: 30 }, (_, i) => `value${i}`).sort());
    const partsA = new Set(va.map((l) => l.split('\t')[0]));
    assert.ok(vb.every((l) => !partsA.has(l.split('\t')[0])), 'the consumers read disjoint partitions');
    assert.match(ra.stderr, new RegExp(`Processed a total of ${va.length} messages`));
    for (const l of [...va, ...vb]) {
      const part = Number(/^Partition:(\d+)/.exec(l)![1]);
      perPartition.set(part, (perPartition.get(part) ?? 0) + 1);
    }
  });

  await t.test('kafka-consumer-groups --list and --describe with lag', async () => {
    const list = await run('kafka-consumer-groups', ['--list', '--bootstrap-server', bs]);
    assert.equal(list.code, 0, list.stderr);
    assert.ok(lines(list.stdout).includes(group), list.stdout);
    // 4 more records, unconsumed: the lag
    const more = await run('kafka-console-producer', ['--topic', shared, '--bootstrap-server', bs], { input: 'a\nb\nc\nd\n' });
    assert.equal(more.code, 0, more.stderr);
    const ends = await endOffsets(shared);
    const r = await run('kafka-consumer-groups', ['--describe', '--group', group, '--bootstrap-server', bs]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`Consumer group '${group}' has no active members.`));
    const out = r.stdout.split('\n');
    assert.equal(out[0], '');
    assert.equal(out[1], 'GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID');
    const rows = out.slice(2).filter((l) => l !== '');
    assert.equal(rows.length, 3);
    let lag = 0n;
    rows.forEach((row, p) => {
      const current = BigInt(perPartition.get(p) ?? 0);
      const end = ends.get(p)!;
      assert.equal(row, `${group.padEnd(15)} ${shared.padEnd(15)} ${String(p).padEnd(10)} ${String(current).padEnd(15)} ${String(end).padEnd(15)} ${String(end - current).padEnd(15)} ${'-'.padEnd(15)} ${'-'.padEnd(15)} -`);
      lag += end - current;
    });
    assert.equal(lag, 4n);
    const state = await run('kafka-consumer-groups', ['--describe', '--group', group, '--state', '--bootstrap-server', bs]);
    assert.equal(state.code, 0, state.stderr);
    assert.match(state.stdout, /\nGROUP +COORDINATOR \(ID\) +ASSIGNMENT-STRATEGY +STATE +#MEMBERS\n/);
    assert.match(state.stdout, new RegExp(`\\n${group} +localhost:\\d+  \\(${nodeId}\\) +\\S+ +Empty +0\\n`));
  });

  await t.test('kafka-consumer-groups --reset-offsets: --dry-run changes nothing, --execute does', async () => {
    const before = await admin.listConsumerGroupOffsets(group);
    const dry = await run('kafka-consumer-groups', ['--reset-offsets', '--group', group, '--topic', shared, '--to-earliest', '--dry-run', '--bootstrap-server', bs]);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.deepEqual(dry.stdout.split('\n'), [
      '',
      'GROUP           TOPIC           PARTITION  NEW-OFFSET',
      `${group.padEnd(15)} ${shared.padEnd(15)} 0          0`,
      `${group.padEnd(15)} ${shared.padEnd(15)} 1          0`,
      `${group.padEnd(15)} ${shared.padEnd(15)} 2          0`,
      '',
    ]);
    assert.deepEqual(await admin.listConsumerGroupOffsets(group), before);
    const exec = await run('kafka-consumer-groups', ['--reset-offsets', '--group', group, '--topic', `${shared}:0,1`, '--to-offset', '1', '--execute', '--bootstrap-server', bs]);
    assert.equal(exec.code, 0, exec.stdout + exec.stderr);
    assert.match(exec.stdout, new RegExp(`\\n${group} +${shared} +0 +1\\n${group} +${shared} +1 +1\\n`));
    const shift = await run('kafka-consumer-groups', ['--reset-offsets', '--group', group, '--topic', `${shared}:2`, '--shift-by', '-1', '--execute', '--bootstrap-server', bs]);
    assert.equal(shift.code, 0, shift.stdout + shift.stderr);
    const after = new Map((await admin.listConsumerGroupOffsets(group)).map((c) => [c.partition, c.offset]));
    assert.equal(after.get(0), 1n);
    assert.equal(after.get(1), 1n);
    assert.equal(after.get(2), BigInt(perPartition.get(2) ?? 0) - 1n < 0n ? 0n : BigInt(perPartition.get(2) ?? 0) - 1n);
    // every record is younger than an hour: by-duration finds the first offset of each partition
    const byDuration = await run('kafka-consumer-groups', ['--reset-offsets', '--group', group, '--all-topics', '--by-duration', 'PT1H', '--dry-run', '--bootstrap-server', bs]);
    assert.equal(byDuration.code, 0, byDuration.stdout + byDuration.stderr);
    assert.deepEqual(lines(byDuration.stdout).slice(1).map((l) => l.split(/ +/).at(-1)), ['0', '0', '0']);
    const delOffsets = await run('kafka-consumer-groups', ['--delete-offsets', '--group', group, '--topic', `${shared}:0`, '--bootstrap-server', bs]);
    assert.equal(delOffsets.code, 0, delOffsets.stdout + delOffsets.stderr);
    assert.equal(delOffsets.stdout, `Request succeeded for deleting offsets from group ${group}.\n\nTOPIC           PARTITION  STATUS         \n${shared.padEnd(15)} 0          Successful     \n`);
    assert.deepEqual((await admin.listConsumerGroupOffsets(group)).filter((c) => c.offset >= 0n).map((c) => c.partition).sort(), [1, 2]);
    const del = await run('kafka-consumer-groups', ['--delete', '--group', group, '--bootstrap-server', bs]);
    assert.equal(del.code, 0, del.stdout + del.stderr);
    assert.equal(del.stdout, `Deletion of requested consumer groups ('${group}') was successful.\n`);
  });

  await t.test('kafka-configs --alter --add-config, then --describe (and kafka-topics shows it)', async () => {
    const alter = await run('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'topics', '--entity-name', topic, '--alter', '--add-config', 'retention.ms=86400000']);
    assert.equal(alter.code, 0, alter.stderr);
    assert.equal(alter.stdout, `Completed updating config for topic ${topic}.\n`);
    const d = await run('kafka-configs', ['--bootstrap-server', bs, '--entity-type', 'topics', '--entity-name', topic, '--describe']);
    assert.equal(d.code, 0, d.stderr);
    assert.equal(d.stdout, `Dynamic configs for topic ${topic} are:\n  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n`);
    const td = await run('kafka-topics', ['--describe', '--topic', topic, '--bootstrap-server', bs]);
    assert.match(lines(td.stdout)[0]!, /\tConfigs: retention\.ms=86400000$/);
    const bad = await run('kafka-configs', ['--bootstrap-server', bs, '--topic', topic, '--alter', '--delete-config', 'segment.ms']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Invalid config\(s\): segment\.ms/);
  });

  await t.test('kafka-producer-perf-test and kafka-consumer-perf-test print Kafka\'s summary lines', async () => {
    assert.equal((await run('kafka-topics', ['--create', '--topic', 'perf', '--partitions', '2', '--bootstrap-server', bs])).code, 0);
    const p = await run('kafka-producer-perf-test', ['--topic', 'perf', '--num-records', '3000', '--record-size', '100', '--throughput', '-1', '--producer-props', `bootstrap.servers=${bs}`, 'acks=1']);
    assert.equal(p.code, 0, p.stderr);
    assert.match(lines(p.stdout).at(-1)!, /^3000 records sent, \d+\.\d{6} records\/sec \(\d+\.\d{2} MB\/sec\), \d+\.\d{2} ms avg latency, \d+\.\d{2} ms max latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$/);
    // --throughput throttles: 40 records at 200/s take about 0.2 s
    const slow = await run('kafka-producer-perf-test', ['--topic', 'perf2', '--num-records', '40', '--payload-monotonic', '--throughput', '200', '--producer-props', `bootstrap.servers=${bs}`]);
    assert.equal(slow.code, 0, slow.stderr);
    const rate = Number(/records sent, (\d+\.\d+) records\/sec/.exec(slow.stdout)![1]);
    assert.ok(rate < 300, `throttled to about 200/s, got ${rate}`);
    const c = await run('kafka-consumer-perf-test', ['--bootstrap-server', bs, '--topic', 'perf', '--messages', '3000', '--timeout', '10000']);
    assert.equal(c.code, 0, c.stderr);
    const [header, result] = lines(c.stdout);
    assert.equal(header, 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec');
    const date = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d:\\d{3}';
    assert.match(result!, new RegExp(`^${date}, ${date}, 0\\.2861, -?\\d+\\.\\d{4}, 3000, \\d+\\.\\d{4}, \\d+, -?\\d+, -?\\d+\\.\\d{4}, -?\\d+\\.\\d{4}$`));
  });

  let deletedFrom = -1;
  await t.test('kafka-get-offsets and kafka-delete-records', async () => {
    const ends = await endOffsets(topic);
    const latest = await run('kafka-get-offsets', ['--bootstrap-server', bs, '--topic', topic]);
    assert.equal(latest.code, 0, latest.stderr);
    assert.deepEqual(lines(latest.stdout), [...ends].map(([p, o]) => `${topic}:${p}:${o}`));
    const [p] = [...ends].sort((a, b) => Number(b[1] - a[1]))[0]!;
    deletedFrom = p;
    const file = join(broker.dataDir!, 'delete.json');
    writeFileSync(file, JSON.stringify({ partitions: [{ topic, partition: p, offset: 1 }], version: 1 }));
    const del = await run('kafka-delete-records', ['--bootstrap-server', bs, '--offset-json-file', file]);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, `Executing records delete operation\nRecords delete operation completed:\npartition: ${topic}-${p}\tlow_watermark: 1\n`);
    const earliest = await run('kafka-get-offsets', ['--bootstrap-server', bs, '--topic', topic, '--partitions', String(p), '--time', '-2']);
    assert.equal(earliest.stdout, `${topic}:${p}:1\n`);
  });

  await t.test('kafka-dump-log reads a segment file of the broker directly', async () => {
    const file = join(broker.dataDir!, `${topic}-${deletedFrom}`, '00000000000000000000.log');
    const r = await run('kafka-dump-log', ['--files', file, '--print-data-log']);
    assert.equal(r.code, 0, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out[0], `Dumping ${file}`);
    assert.equal(out[1], 'Log starting offset: 0');
    const batch = /^baseOffset: (\d+) lastOffset: (\d+) count: (\d+) baseSequence: -?\d+ lastSequence: -?\d+ producerId: -?\d+ producerEpoch: -?\d+ partitionLeaderEpoch: \d+ isTransactional: false isControl: false deleteHorizonMs: OptionalLong\.empty position: (\d+) CreateTime: \d+ size: (\d+) magic: 2 compresscodec: none crc: \d+ isvalid: true$/;
    const batches = out.filter((l) => l.startsWith('baseOffset:'));
    assert.ok(batches.length >= 1);
    let position = 0;
    for (const l of batches) {
      const m = batch.exec(l);
      assert.ok(m, l);
      assert.equal(Number(m[4]), position);
      position += Number(m[5]);
    }
    assert.equal(position, readFileSync(file).length);
    const records = out.filter((l) => l.startsWith('| offset:'));
    assert.ok(records.length >= 2);
    assert.match(records[0]!, /^\| offset: 0 CreateTime: \d+ keySize: -1 valueSize: 22 sequence: -?\d+ headerKeys: \[\] payload: This is my first event$/);
    assert.match(records[1]!, /^\| offset: 1 CreateTime: \d+ keySize: -1 valueSize: 23 sequence: -?\d+ headerKeys: \[\] payload: This is my second event$/);
  });

  await t.test('every tool is a bin entry, also under its .sh name', () => {
    const pkg = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const tool of ['topics', 'console-producer', 'console-consumer', 'consumer-groups', 'configs', 'producer-perf-test', 'consumer-perf-test', 'get-offsets', 'delete-records', 'dump-log', 'server-start']) {
      assert.equal(pkg.bin[`kafka-${tool}`], `./dist/src/bin/kafka-${tool}.js`);
      assert.equal(pkg.bin[`kafka-${tool}.sh`], pkg.bin[`kafka-${tool}`]);
      assert.ok(binExists(`kafka-${tool}`), `kafka-${tool} ${compiled ? 'compiled' : 'source'}`);
    }
  });
});
