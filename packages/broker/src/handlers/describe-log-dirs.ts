/**
 * DescribeLogDirs (35). v0-v4. Per log directory: the hosted partitions (all, or the requested
 * ones) with their size (offset lag 0), and the future replica of a partition moving between
 * directories (AlterReplicaLogDirs) with is_future true, its size and its lag behind the
 * current log. v3+ has a top-level error code; v4+ the volume's total and usable bytes
 * (statfs; -1 when unknown). Memory-engine logs are reported under the first configured log
 * directory so tools still see every partition.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ApiKey, ErrorCode, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '@samsa/protocol';
import type { ApiHandler, RequestContext } from './types.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';

type DirResult = DescribeLogDirsResponse['results'][number];
type TopicResult = DirResult['topics'][number];

/** Kafka's DescribeLogDirsResponse.UNKNOWN_VOLUME_BYTES. */
export const UNKNOWN_VOLUME_BYTES = -1n;

function volumeBytes(dir: string): { total: bigint; usable: bigint } {
  try {
    const s = statfsSync(dir, { bigint: true });
    return { total: s.blocks * s.bsize, usable: s.bavail * s.bsize };
  } catch {
    return { total: UNKNOWN_VOLUME_BYTES, usable: UNKNOWN_VOLUME_BYTES };
  }
}

function handle(ctx: RequestContext, req: DescribeLogDirsRequest, version: number): DescribeLogDirsResponse {
  const broker = ctx.broker;
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
  const configured = broker.storage.logDirs.length > 0 ? broker.storage.logDirs : broker.config.logDirs;
  const dirs = configured.map((d) => resolve(d));
  const byDir = new Map<string, Map<string, TopicResult>>(dirs.map((d) => [d, new Map()]));

  let wanted: Map<string, Set<number>> | null = null;
  if (req.topics !== null) {
    wanted = new Map();
    for (const t of req.topics) {
      const set = wanted.get(t.topic) ?? new Set<number>();
      for (const p of t.partitions) set.add(p);
      wanted.set(t.topic, set);
    }
  }

  const add = (dir: string, name: string, entry: TopicResult['partitions'][number]): void => {
    let topics = byDir.get(dir);
    if (topics === undefined) {
      topics = new Map();
      byDir.set(dir, topics);
    }
    let topic = topics.get(name);
    if (topic === undefined) {
      topic = { name, partitions: [] };
      topics.set(name, topic);
    }
    topic.partitions.push(entry);
  };
  const mover = broker.partitions.logDirMover;
  for (const hosted of broker.partitions.all()) {
    const name = hosted.image.name;
    const parts = wanted === null ? null : wanted.get(name);
    if (parts === undefined) continue;
    for (const partition of hosted.partitions) {
      if (partition === undefined || (parts !== null && !parts.has(partition.partition))) continue;
      const log = partition.log;
      const dir = log.dir !== null ? resolve(dirname(log.dir)) : dirs[0];
      if (dir === undefined) continue;
      add(dir, name, { partitionIndex: log.partition, partitionSize: BigInt(log.sizeBytes), offsetLag: 0n, isFutureKey: false });
      // A replica moving to another dir (AlterReplicaLogDirs): its future log, and how far behind it is.
      const future = mover?.future(name, log.partition);
      if (future !== undefined) add(resolve(future.logDir), name, { partitionIndex: log.partition, partitionSize: BigInt(future.sizeBytes), offsetLag: future.offsetLag, isFutureKey: true });
    }
  }

  const results: DirResult[] = [];
  for (const [logDir, topics] of byDir) {
    const r: DirResult = { errorCode: ErrorCode.NONE, logDir, topics: [...topics.values()] };
    if (version >= 4) {
      const v = volumeBytes(logDir);
      r.totalBytes = v.total;
      r.usableBytes = v.usable;
    }
    results.push(r);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
}

export const describeLogDirsHandler: ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> = {
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 0,
  maxVersion: 4,
  handle,
};
