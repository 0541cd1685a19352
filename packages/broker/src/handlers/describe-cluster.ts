/**
 * DescribeCluster (60). v0-v1. The cluster id, the controller and the brokers with their
 * advertised address for the listener the request came in on. v1 adds the endpoint type:
 * brokers answer only for BROKER (1); CONTROLLER (2) is UNSUPPORTED_ENDPOINT_TYPE, as Kafka
 * brokers answer it. Cluster authorized operations only when asked for.
 */
import { ApiKey, ErrorCode, type DescribeClusterRequest, type DescribeClusterResponse } from '@samsa/protocol';
import { ALL_CLUSTER_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED, brokerEndpoint } from './metadata.js';
import type { ApiHandler, RequestContext } from './types.js';

export const ENDPOINT_TYPE_BROKER = 1;
export const ENDPOINT_TYPE_CONTROLLER = 2;

function handle(ctx: RequestContext, req: DescribeClusterRequest, version: number): DescribeClusterResponse {
  const broker = ctx.broker;
  const endpointType = version >= 1 ? req.endpointType ?? ENDPOINT_TYPE_BROKER : ENDPOINT_TYPE_BROKER;
  if (endpointType !== ENDPOINT_TYPE_BROKER) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
      errorMessage: `Unsupported endpoint type ${endpointType === ENDPOINT_TYPE_CONTROLLER ? 'CONTROLLER' : endpointType}`,
      endpointType,
      clusterId: broker.clusterId,
      controllerId: -1,
      brokers: [],
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
  }
  const image = broker.metadata;
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    endpointType,
    clusterId: broker.clusterId,
    controllerId: image.controllerId,
    brokers: image.brokers.map((b) => ({ brokerId: b.nodeId, ...brokerEndpoint(broker, b, ctx.listenerName), rack: b.rack })),
    clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? ALL_CLUSTER_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponse> = {
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  handle,
};
