/**
 * A follower whose wall clock steps back while it has a partition parked (a fetch error,
 * replica.fetch.backoff.ms) fetches it again after the backoff, not after the clock catches up.
 * The fault suite found this as "committed offsets unreadable after healing": a quorum loss during
 * __consumer_offsets creation made followers park the new partitions, broker 3's clock then went
 * 7 minutes back, and the partitions stayed unfetched (the offsets partitions' high watermark
 * stuck below the log end). The backoff now runs on the monotonic clock, as Kafka's DelayedItem.
 * Deterministic: the leader refuses the follower's first fetch, and the follower's clock steps
 * back the moment the follower logs that it parked the partition.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import kafkajs from 'kafkajs';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { handlers as defaultHandlers } from '../../src/handlers/index.js';
import type { ApiHandler } from '../../src/handlers/types.js';
import { LocalMetadataBackend, LocalMetadataStore } from '../../src/metadata/metadata-store.js';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import { SystemClock } from '../../src/util/clock.js';
import { createLogger } from '../../src/util/log.js';

const { Kafka, logLevel } = kafkajs;
const TOPIC = 'skewed-follower';
const SEVEN_MINUTES_MS = 7 * 60 * 1000;

/** The system clock with a wall-clock offset that the test moves (NTP gone wrong). */
class SteppableClock extends SystemClock {
  offsetMs = 0;
  override now(): number {
    return Date.now() + this.offsetMs;
  }
}

const followerClock = new SteppableClock();
let steppedBackAt: number | null = null;
let refused = false;
let leader: TestBroker;
let follower: TestBroker;

/** The leader's Fetch, refusing the follower's first fetch of the topic's partition (NOT_LEADER_OR_FOLLOWER). */
const refusingHandlers: ApiHandler[] = defaultHandlers.map((h) => {
  if (h.apiKey !== ApiKey.Fetch) return h;
  return {
    ...h,
    async handle(ctx, req, version) {
      const res = await h.handle(ctx, req, version);
      const replicaId = req.replicaState?.replicaId ?? req.replicaId ?? -1;
      if (refused || replicaId !== 1 || typeof res !== 'object' || res === null || !('responses' in res)) return res;
      for (const t of res.responses) {
        for (const p of t.partitions) {
          p.errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER;
          p.records = null;
          refused = true;
        }
      }
      return res;
    },
  } satisfies ApiHandler;
});

before(async () => {
  const backend = new LocalMetadataBackend(null);
  const config = (id: number): Record<string, string> => ({ 'broker.id': String(id), 'offsets.topic.replication.factor': '1', 'replica.fetch.backoff.ms': '1000' });
  leader = await startBroker({ config: config(0), metadataStore: new LocalMetadataStore(backend), handlers: refusingHandlers, logger: createLogger('leader', { level: 'ERROR' }) });
  follower = await startBroker({
    config: config(1),
    metadataStore: new LocalMetadataStore(backend),
    clock: followerClock,
    // The follower logs the park at DEBUG right after it set the partition's backoff: step its clock back then.
    logger: createLogger('follower', {
      level: 'DEBUG',
      sink: (line) => {
        if (steppedBackAt === null && line.includes(`Fetch of ${TOPIC}-0 failed with error ${ErrorCode.NOT_LEADER_OR_FOLLOWER}`)) {
          followerClock.offsetMs = -SEVEN_MINUTES_MS;
          steppedBackAt = performance.now();
        }
      },
    }),
  });
  await Promise.all([leader, follower].map((b) => b.broker.topics.metadata.waitFor((i) => i.brokers.length === 2, 30000)));
});

after(async () => {
  await follower?.stop();
  await leader?.stop();
});

test('a partition parked before the follower clock stepped back 7 minutes is fetched again after the backoff', async () => {
  const kafka = new Kafka({ brokers: [leader.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await admin.connect();
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic: TOPIC, replicaAssignment: [{ partition: 0, replicas: [0, 1] }] }], waitForLeaders: true });
    await producer.send({ topic: TOPIC, acks: 1, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    const deadline = Date.now() + 20000;
    const leaderLog = (): bigint => leader.broker.partitions.getPartition(TOPIC, 0)!.logEndOffset;
    const followerLog = (): bigint => follower.broker.partitions.getPartition(TOPIC, 0)?.logEndOffset ?? -1n;
    while (steppedBackAt === null || followerLog() < leaderLog()) {
      if (Date.now() > deadline) {
        assert.fail(`follower log end ${followerLog()} of the leader's ${leaderLog()} (refused: ${refused}, clock stepped back: ${steppedBackAt !== null})`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(refused, true);
    assert.equal(followerLog(), 20n);
    // Caught up within seconds of the step, not after the 7 minutes the clock went back.
    assert.ok(performance.now() - steppedBackAt < 15000);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});
