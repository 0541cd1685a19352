/**
 * Group coordinator look-up and the offset APIs, shared by the consumer and the admin client.
 * Version differences (FindCoordinator v4 batching, OffsetFetch v8 groups) are handled here.
 */
import { apiByName, KafkaError } from '@samsa/protocol';
import type { Cluster } from '../cluster.js';
import { sleep } from '../cluster.js';
import type { Connection } from '@samsa/network';
import { isRetriable } from '../errors.js';

/** Errors after which the coordinator must be looked up again. */
export const COORDINATOR_ERRORS: ReadonlySet<number> = new Set([14, 15, 16]); // LOAD_IN_PROGRESS, NOT_AVAILABLE, NOT_COORDINATOR

/** FindCoordinator for a group (keyType 0) or transactional id (1); retries retriable errors. */
export async function findCoordinator(cluster: Cluster, key: string, keyType = 0, timeoutMs = 30000): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { version, response } = await cluster.sendAny(apiByName.FindCoordinator, (v) => (v >= 4 ? { keyType, coordinatorKeys: [key] } : { key, ...(v >= 1 ? { keyType } : {}) }));
      let nodeId: number, host: string, port: number, code: number, msg: string | null;
      if (version >= 4) {
        const c = response.coordinators?.[0];
        if (c === undefined) throw new KafkaError(15, 'empty FindCoordinator response');
        ({ nodeId, host, port } = c);
        code = c.errorCode;
        msg = c.errorMessage;
      } else {
        nodeId = response.nodeId ?? -1;
        host = response.host ?? '';
        port = response.port ?? 0;
        code = response.errorCode ?? 0;
        msg = response.errorMessage ?? null;
      }
      if (code !== 0) throw KafkaError.from(code, msg);
      return cluster.connectionTo(nodeId, host, port);
    } catch (err) {
      if (!isRetriable(err) || Date.now() >= deadline) throw err;
      await sleep(cluster.retryBackoffMs);
    }
  }
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

/** OffsetFetch for one group; `topics` null = every partition with a committed offset. */
export async function fetchOffsets(
  conn: Connection,
  groupId: string,
  topics: Array<{ topic: string; partitions: number[] }> | null,
  requireStable = false,
): Promise<CommittedOffset[]> {
  const { version, response } = await conn.send(apiByName.OffsetFetch, (v) => {
    const ts = topics === null ? null : topics.map((t) => ({ name: t.topic, partitionIndexes: t.partitions }));
    if (v >= 8) return { groups: [{ groupId, topics: ts }], requireStable };
    return { groupId, topics: ts, ...(v >= 7 ? { requireStable } : {}) };
  });
  const out: CommittedOffset[] = [];
  if (version >= 8) {
    const g = response.groups?.[0];
    if (g === undefined) throw new KafkaError(-1, 'OffsetFetch: no group in response');
    if (g.errorCode !== 0) throw KafkaError.from(g.errorCode, `group ${groupId}`);
    for (const t of g.topics) for (const p of t.partitions) {
      if (p.errorCode !== 0) throw KafkaError.from(p.errorCode, `${t.name}-${p.partitionIndex}`);
      out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
    }
  } else {
    if ((response.errorCode ?? 0) !== 0) throw KafkaError.from(response.errorCode!, `group ${groupId}`);
    for (const t of response.topics ?? []) for (const p of t.partitions) {
      if (p.errorCode !== 0) throw KafkaError.from(p.errorCode, `${t.name}-${p.partitionIndex}`);
      out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.metadata });
    }
  }
  return out;
}

export interface OffsetToCommit {
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch?: number;
  metadata?: string | null;
}

/** OffsetCommit; generation -1 and member "" commit as a non-member (admin, manual assignment). */
export async function commitOffsets(conn: Connection, groupId: string, offsets: OffsetToCommit[], generationId = -1, memberId = '', groupInstanceId: string | null = null): Promise<void> {
  const byTopic = new Map<string, OffsetToCommit[]>();
  for (const o of offsets) {
    let l = byTopic.get(o.topic);
    if (l === undefined) byTopic.set(o.topic, (l = []));
    l.push(o);
  }
  const { response } = await conn.send(apiByName.OffsetCommit, (v) => ({
    groupId,
    ...(v >= 1 ? { generationIdOrMemberEpoch: generationId, memberId } : {}),
    ...(v >= 7 ? { groupInstanceId } : {}),
    topics: [...byTopic].map(([name, ps]) => ({
      name,
      partitions: ps.map((p) => ({
        partitionIndex: p.partition,
        committedOffset: p.offset,
        ...(v >= 6 ? { committedLeaderEpoch: p.leaderEpoch ?? -1 } : {}),
        committedMetadata: p.metadata ?? '',
      })),
    })),
  }));
  for (const t of response.topics) for (const p of t.partitions) {
    if (p.errorCode !== 0) throw KafkaError.from(p.errorCode, `commit ${t.name}-${p.partitionIndex}`);
  }
}
