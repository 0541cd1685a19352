/** ListOffsets by partition leader, shared by the consumer (offset reset) and the admin client. */
import { apiByName, KafkaError } from '@samsa/protocol';
import { type Cluster, METADATA_REFRESH_CODES, sleep } from './cluster.js';
import { isRetriable } from './errors.js';

/** Kafka's special ListOffsets timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;

export interface OffsetQuery {
  topic: string;
  partition: number;
  timestamp: bigint;
}

export interface OffsetAnswer {
  topic: string;
  partition: number;
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

/** Resolves every query, retrying leader changes until `timeoutMs`. */
export async function listOffsets(cluster: Cluster, queries: OffsetQuery[], isolationLevel = 0, timeoutMs = 30000): Promise<OffsetAnswer[]> {
  const deadline = Date.now() + timeoutMs;
  const out: OffsetAnswer[] = [];
  let todo = queries;
  await cluster.waitForTopics([...new Set(queries.map((q) => q.topic))], timeoutMs);
  while (todo.length > 0) {
    const byLeader = new Map<number, OffsetQuery[]>();
    for (const q of todo) {
      const leader = cluster.leaderOf(q.topic, q.partition);
      let l = byLeader.get(leader);
      if (l === undefined) byLeader.set(leader, (l = []));
      l.push(q);
    }
    const retry: OffsetQuery[] = [];
    let lastErr: unknown;
    await Promise.all(
      [...byLeader].map(async ([leader, qs]) => {
        if (leader < 0) {
          retry.push(...qs);
          return;
        }
        try {
          const byTopic = new Map<string, OffsetQuery[]>();
          for (const q of qs) {
            let l = byTopic.get(q.topic);
            if (l === undefined) byTopic.set(q.topic, (l = []));
            l.push(q);
          }
          const { response } = await cluster.broker(leader).send(apiByName.ListOffsets, (v) => ({
            replicaId: -1,
            ...(v >= 2 ? { isolationLevel } : {}),
            topics: [...byTopic].map(([name, ps]) => ({
              name,
              partitions: ps.map((q) => ({ partitionIndex: q.partition, timestamp: q.timestamp, ...(v >= 4 ? { currentLeaderEpoch: cluster.leaderEpochOf(q.topic, q.partition) } : {}) })),
            })),
          }));
          for (const t of response.topics) for (const p of t.partitions) {
            const q = qs.find((x) => x.topic === t.name && x.partition === p.partitionIndex);
            if (q === undefined) continue;
            if (p.errorCode !== 0) {
              const err = KafkaError.from(p.errorCode, `${t.name}-${p.partitionIndex}`);
              if (!err.retriable && !METADATA_REFRESH_CODES.has(p.errorCode)) throw err;
              lastErr = err;
              retry.push(q);
              continue;
            }
            out.push({ topic: t.name, partition: p.partitionIndex, offset: p.offset ?? -1n, timestamp: p.timestamp ?? -1n, leaderEpoch: p.leaderEpoch ?? -1 });
          }
        } catch (err) {
          if (!isRetriable(err)) throw err;
          lastErr = err;
          retry.push(...qs);
        }
      }),
    );
    todo = retry;
    if (todo.length > 0) {
      if (Date.now() >= deadline) throw lastErr ?? new KafkaError(5, 'ListOffsets: leaders not available');
      await sleep(cluster.retryBackoffMs);
      await cluster.refreshMetadata().catch(() => {});
    }
  }
  return out;
}
