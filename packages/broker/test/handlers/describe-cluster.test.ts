import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { startBroker } from '../../src/testkit/index.js';
import { ALL_CLUSTER_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED } from '../../src/handlers/metadata.js';
import { WireClient } from '../testkit/wire-client.js';

test('DescribeCluster: cluster id, controller, advertised broker with rack, authorized operations, endpoint type', async () => {
  const tb = await startBroker({ config: { 'broker.rack': 'rack-a', 'node.id': '3' } });
  const c = await WireClient.connect(tb.port);
  try {
    const r0 = await c.send(ApiKey.DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
    assert.equal(r0.errorCode, ErrorCode.NONE);
    assert.equal(r0.clusterId, tb.broker.clusterId);
    assert.equal(r0.controllerId, 3);
    assert.deepEqual(r0.brokers, [{ brokerId: 3, host: 'localhost', port: tb.port, rack: 'rack-a' }]);
    assert.equal(r0.clusterAuthorizedOperations, AUTHORIZED_OPERATIONS_OMITTED);

    const r1 = await c.send(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: true, endpointType: 1 });
    assert.equal(r1.errorCode, ErrorCode.NONE);
    assert.equal(r1.endpointType, 1);
    assert.equal(r1.clusterAuthorizedOperations, ALL_CLUSTER_OPERATIONS);

    const ctl = await c.send(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    assert.equal(ctl.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
    assert.deepEqual(ctl.brokers, []);
  } finally {
    c.close();
    await tb.stop();
  }
});
