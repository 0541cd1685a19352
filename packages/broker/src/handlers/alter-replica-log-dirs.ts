/**
 * AlterReplicaLogDirs (34). v0-v2. Moves replicas hosted here to another of this broker's
 * log.dirs (see cluster/log-dir-mover.ts), with Kafka's ReplicaManager.alterReplicaLogDirs
 * errors: LOG_DIR_NOT_FOUND for a dir that is not configured, KAFKA_STORAGE_ERROR for one
 * that is offline, REPLICA_NOT_AVAILABLE for a partition not hosted here (its dir is remembered
 * for when it is created), UNKNOWN_TOPIC_OR_PARTITION for one the cluster does not have.
 * Needs ALTER on the cluster.
 */
import { ApiKey, ErrorCode, errorByCode, type AlterReplicaLogDirsRequest, type AlterReplicaLogDirsResponse } from '@samsa/protocol';
import { TopicConfig } from '../config/topic-config.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler, RequestContext } from './types.js';

type TopicResult = AlterReplicaLogDirsResponse['results'][number];

/** Kafka refuses topics whose future directory name would pass the file system's 255 bytes. */
const MAX_DIR_NAME_BYTES = 255;
const FUTURE_NAME_EXTRA = '.'.length + 32 + '-future'.length;

function handle(ctx: RequestContext, req: AlterReplicaLogDirsRequest): AlterReplicaLogDirsResponse {
  const broker = ctx.broker;
  const authorized = authorizeCluster(ctx, AclOperation.ALTER);
  const mover = broker.partitions.logDirMover;
  const byTopic = new Map<string, TopicResult>();
  for (const dir of req.dirs) {
    for (const t of dir.topics) {
      let result = byTopic.get(t.name);
      if (result === undefined) byTopic.set(t.name, (result = { topicName: t.name, partitions: [] }));
      for (const p of t.partitions) {
        let errorCode: number;
        if (!authorized) errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
        else if (Buffer.byteLength(`${t.name}-${p}`) + FUTURE_NAME_EXTRA > MAX_DIR_NAME_BYTES) errorCode = ErrorCode.INVALID_TOPIC_EXCEPTION;
        else if (mover === null) errorCode = ErrorCode.KAFKA_STORAGE_ERROR; // the memory engine has no directories to move between
        else {
          const image = broker.metadata.topic(t.name);
          const known = image !== undefined && p >= 0 && p < image.partitions.length;
          const fallback = new TopicConfig(broker.config, image?.configs ?? new Map());
          errorCode = mover.alter(t.name, p, dir.path, broker.partitions.getPartition(t.name, p), known, () => broker.partitions.logConfigOf(t.name, fallback));
          if (errorCode !== ErrorCode.NONE) broker.log.warn(`Unable to alter log dirs for ${t.name}-${p} to ${dir.path}: ${errorByCode(errorCode)?.name ?? errorCode}`);
        }
        result.partitions.push({ partitionIndex: p, errorCode });
      }
    }
  }
  return { throttleTimeMs: 0, results: [...byTopic.values()] };
}

export const alterReplicaLogDirsHandler: ApiHandler<AlterReplicaLogDirsRequest, AlterReplicaLogDirsResponse> = {
  apiKey: ApiKey.AlterReplicaLogDirs,
  minVersion: 0,
  maxVersion: 2,
  handle,
};
