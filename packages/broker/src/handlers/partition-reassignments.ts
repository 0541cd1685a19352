/**
 * AlterPartitionReassignments (45) and ListPartitionReassignments (46), v0: served by the
 * active controller (the client sends them there); another broker answers NOT_CONTROLLER.
 * The controller records a reassignment in the topic's assignment (adding/removing replicas,
 * as Kafka's topic znode v3) and finishes it once the new replicas are in the ISR. Altering
 * needs ALTER on the cluster, listing DESCRIBE.
 */
import {
  ApiKey,
  ErrorCode,
  type AlterPartitionReassignmentsRequest,
  type AlterPartitionReassignmentsResponse,
  type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse,
} from '@samsa/protocol';
import type { Controller } from '../metadata/controller.js';
import { AclOperation, authorizeCluster } from '../security/authorize.js';
import type { ApiHandler, RequestContext } from './types.js';

const NOT_CONTROLLER_MESSAGE = 'This is not the correct controller for this cluster.';

function activeController(ctx: RequestContext): Controller | null {
  const c = ctx.broker.controller;
  return c !== undefined && c.isActive ? c : null;
}

async function alter(ctx: RequestContext, req: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponse> {
  if (!authorizeCluster(ctx, AclOperation.ALTER)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, responses: [] };
  const controller = activeController(ctx);
  if (controller === null) {
    return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: NOT_CONTROLLER_MESSAGE, responses: [] };
  }
  const items = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas })));
  const results = await controller.alterReassignments(items);
  // Results come in request order: each topic entry answers its own partitions. (Filtering all
  // results by name answered a name repeated N times with N copies of all its results: a
  // response of millions of partitions, a second of encoding.)
  let next = 0;
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    responses: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map(() => {
        const r = results[next++]!;
        return { partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage };
      }),
    })),
  };
}

async function list(ctx: RequestContext, req: ListPartitionReassignmentsRequest): Promise<ListPartitionReassignmentsResponse> {
  if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, topics: [] };
  const controller = activeController(ctx);
  if (controller === null) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: NOT_CONTROLLER_MESSAGE, topics: [] };
  const filter = req.topics === null ? null : req.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition })));
  const ongoing = await controller.listReassignments(filter);
  const topics = new Map<string, ListPartitionReassignmentsResponse['topics'][number]>();
  for (const r of ongoing) {
    let t = topics.get(r.topic);
    if (t === undefined) topics.set(r.topic, (t = { name: r.topic, partitions: [] }));
    t.partitions.push({ partitionIndex: r.partition, replicas: r.replicas, addingReplicas: r.adding, removingReplicas: r.removing });
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [...topics.values()] };
}

export const alterPartitionReassignmentsHandler: ApiHandler<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse> = {
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle: (ctx, req) => alter(ctx, req),
};

export const listPartitionReassignmentsHandler: ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse> = {
  apiKey: ApiKey.ListPartitionReassignments,
  minVersion: 0,
  maxVersion: 0,
  handle: (ctx, req) => list(ctx, req),
};
