/**
 * The frames that hung the 1,000,000-case fuzz soak (seed 14; soak-hang-frames.ts), each sent
 * against the state it needed, must be answered promptly: a request is answered (or its
 * connection closed) within its own timeout, and work over thousands of partitions never holds
 * the event loop for seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { apis, ApiKey, ErrorCode, Reader } from '@samsa/protocol';
import { FrameDecoder } from '@samsa/protocol/framing';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { decodeTopic, Paths } from '../../src/metadata/kafka-layout.js';
import { WireClient } from '../testkit/wire-client.js';
import { CREATE_PARTITIONS_189172, CREATE_PARTITIONS_895409, ELECT_LEADERS_347528 } from './soak-hang-frames.js';

/** Sends a raw request frame; resolves with its decoded response and how long it took, or rejects after boundMs. */
async function sendFrame(port: number, frame: Buffer, boundMs: number): Promise<{ body: any; ms: number }> {
  const apiKey = frame.readInt16BE(4);
  const version = frame.readInt16BE(6);
  const socket = connect({ port, host: '127.0.0.1' });
  socket.on('error', () => {});
  const t0 = Date.now();
  try {
    const response = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${apis[apiKey]!.name} v${version}: neither answered nor closed within ${boundMs} ms`)), boundMs);
      const decoder = new FrameDecoder(1 << 30);
      socket.on('data', (d: Buffer) => decoder.push(d, (f) => { clearTimeout(timer); resolve(Buffer.from(f)); }));
      socket.on('close', () => { clearTimeout(timer); reject(new Error('connection closed')); });
      socket.write(frame);
    });
    const ms = Date.now() - t0;
    const r = new Reader(response);
    r.int32();
    if (apis[apiKey]!.responseHeaderVersion(version) >= 1) r.taggedFields();
    return { body: apis[apiKey]!.decodeResponse(r, version), ms };
  } finally {
    socket.destroy();
  }
}

async function storedPartitionCount(tb: TestBroker, topic: string): Promise<number> {
  const e = await tb.broker.metadataStore.get(Paths.topic(topic));
  return e === null ? 0 : decodeTopic(e.value).partitions.length;
}

test('case 189172: CreatePartitions waiting for leaders ends when the topic is deleted meanwhile, not at its 16,580,609 ms timeout', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'fuzz-1', numPartitions: 1 });
    // No controller: the new partition gets no leader, so the request waits, as it did under the soak's load.
    tb.broker.controller.stop();
    const answer = sendFrame(tb.port, CREATE_PARTITIONS_189172, 10_000);
    assert.ok(await tb.broker.topics.metadata.waitFor((i) => (i.topic('fuzz-1')?.partitions.length ?? 0) >= 2, 10_000), 'the partition was added');
    // The soak's fuzz-1 was deleted (and auto-created with 1 partition) while the request waited.
    await tb.broker.metadataStore.delete(Paths.topic('fuzz-1'), { recursive: true });
    const { body, ms } = await answer;
    assert.equal(body.results[0].name, 'fuzz-1');
    assert.ok(ms < 10_000, `answered after ${ms} ms`);
  } finally {
    await tb.stop();
  }
});

test('case 895409: CreatePartitions to 10001 partitions with a negative timeout answers REQUEST_TIMED_OUT without waiting for leaders; a 1 s timeout bounds the wait', async () => {
  const tb = await startBroker();
  try {
    await tb.broker.topics.createTopic({ name: 'fuzz-1', numPartitions: 2 });
    await tb.broker.topics.createTopic({ name: 'fuzz-2', numPartitions: 1 });
    tb.broker.controller.stop();
    const { body } = await sendFrame(tb.port, CREATE_PARTITIONS_895409, 10_000);
    const byName = new Map(body.results.map((r: any) => [r.name, r.errorCode]));
    assert.equal(byName.get('fuzz-1'), ErrorCode.REQUEST_TIMED_OUT);
    assert.equal(await storedPartitionCount(tb, 'fuzz-1'), 10_001, 'the partitions are added nevertheless');
    // No controller at all (its seat given up), so nothing gives fuzz-2's new partition a leader:
    // a broker that is the controller writes a new single-replica partition's leader with it.
    await tb.broker.metadataStore.delete(Paths.controller);
    assert.ok(await tb.broker.topics.metadata.waitFor((i) => i.controllerId < 0, 5000), 'the controller seat was released');
    const c = await WireClient.connect(tb.port);
    try {
      const t0 = Date.now();
      const r = await c.send(ApiKey.CreatePartitions, 3, { topics: [{ name: 'fuzz-2', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
      assert.equal(r.results[0].errorCode, ErrorCode.REQUEST_TIMED_OUT, 'leaders never came within the request timeout');
      assert.ok(Date.now() - t0 < 8000, `answered after ${Date.now() - t0} ms`);
    } finally {
      c.close();
    }
  } finally {
    await tb.stop();
  }
});

test('case 347528: ElectLeaders v0 over 3000 partitions of a 6000-partition topic is answered without a stall', async () => {
  const tb = await startBroker();
  try {
    for (const name of ['fuzz-0', 'fuzz-2']) await tb.broker.topics.createTopic({ name, numPartitions: 2 });
    await tb.broker.topics.createTopic({ name: 'fuzz-3', numPartitions: 6000 });
    await tb.broker.controller.idle();
    const { body, ms } = await sendFrame(tb.port, ELECT_LEADERS_347528, 10_000);
    const fuzz3 = body.replicaElectionResults.find((t: any) => t.topic === 'fuzz-3');
    assert.equal(fuzz3.partitionResult.length, 3000);
    assert.ok(fuzz3.partitionResult.some((p: any) => p.errorCode === ErrorCode.ELECTION_NOT_NEEDED));
    assert.ok(fuzz3.partitionResult.some((p: any) => p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
    // Decoding the 6000-partition assignment once per requested partition took ~4 s here.
    assert.ok(ms < 2000, `answered after ${ms} ms`);
  } finally {
    await tb.stop();
  }
});
