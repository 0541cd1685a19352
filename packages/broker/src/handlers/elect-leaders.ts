/**
 * ElectLeaders (43). v0-v2. Served by the active controller (clients send it there, as to
 * Kafka's ZooKeeper-era controller); another broker answers NOT_CONTROLLER so the client
 * refreshes metadata and retries. v0 has no election type (preferred); v2 adds the top-level
 * error code. Needs ALTER on the cluster. A null partition list elects every partition that needs it.
 */
import { ApiKey, ErrorCode, type ElectLeadersRequest, type ElectLeadersResponse } from '@samsa/protocol';
import { ElectionType, type ElectionResult } from '../metadata/controller.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler, RequestContext } from './types.js';

async function handle(ctx: RequestContext, req: ElectLeadersRequest, version: number): Promise<ElectLeadersResponse> {
  const controller = ctx.broker.controller;
  const electionType = version >= 1 ? req.electionType ?? ElectionType.PREFERRED : ElectionType.PREFERRED;
  const wanted = req.topicPartitions === null ? null : req.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition })));
  if (!authorizeCluster(ctx, AclOperation.ALTER)) {
    const results: ElectionResult[] = (wanted ?? []).map((p) => ({ ...p, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, replicaElectionResults: group(results) };
  }
  if (controller === undefined || !controller.isActive) {
    const results: ElectionResult[] = (wanted ?? []).map((p) => ({ ...p, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, replicaElectionResults: group(results) };
  }
  if (electionType !== ElectionType.PREFERRED && electionType !== ElectionType.UNCLEAN) {
    const results: ElectionResult[] = (wanted ?? []).map((p) => ({ ...p, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown election type ${electionType}` }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: group(results) };
  }
  const results = await controller.electLeaders(electionType, wanted);
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: group(results) };
}

function group(results: readonly ElectionResult[]): ElectLeadersResponse['replicaElectionResults'] {
  const byTopic = new Map<string, ElectLeadersResponse['replicaElectionResults'][number]>();
  for (const r of results) {
    let t = byTopic.get(r.topic);
    if (t === undefined) byTopic.set(r.topic, (t = { topic: r.topic, partitionResult: [] }));
    t.partitionResult.push({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
  }
  return [...byTopic.values()];
}

export const electLeadersHandler: ApiHandler<ElectLeadersRequest, ElectLeadersResponse> = {
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle,
};
