// kafka-cluster and UnregisterBroker in the modes Samsa runs (no KRaft): as a ZooKeeper-mode
// Kafka broker, the broker does not advertise UnregisterBroker (API 64) and closes a connection
// that sends it; `kafka-cluster unregister` prints Kafka's answer for such clusters and exits 0;
// `kafka-cluster cluster-id` prints the id. (A broker leaves the cluster when its ZooKeeper/etcd
// session ends: reassign-partitions.test.ts decommissions and stops broker 1.)
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Admin } from '@samsa/client';
import { apiByName } from '@samsa/protocol';
import { startBroker, type TestBroker } from '@samsa/broker/testkit';
import { runIn } from './support.js';

let broker: TestBroker;
before(async () => {
  broker = await startBroker({ storage: 'memory' });
});
after(async () => {
  await broker.stop();
});

test('kafka-cluster cluster-id and unregister answer as Kafka does without KRaft', async () => {
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  try {
    const { clusterId } = await admin.describeCluster();
    const id = await runIn('cluster', ['cluster-id', '--bootstrap-server', broker.bootstrap]);
    assert.equal(id.code, 0, id.stderr);
    assert.equal(id.stdout, `Cluster ID: ${clusterId}\n`);

    const un = await runIn('cluster', ['unregister', '-b', broker.bootstrap, '--id', '1']);
    assert.equal(un.code, 0, un.stderr);
    assert.equal(un.stdout, 'The target cluster does not support the broker unregistration API.\n');
    const noId = await runIn('cluster', ['unregister', '--bootstrap-server', broker.bootstrap]);
    assert.equal(noId.code, 1);
    assert.match(noId.stderr, /argument --id\/-i is required/);

    const conn = await admin.cluster.anyConnection();
    assert.equal(conn.brokerRange(apiByName.UnregisterBroker.apiKey), undefined, 'API 64 is not advertised');
    await assert.rejects(admin.unregisterBroker(1), { name: 'UnsupportedApiError' });
    // sent anyway, it is refused like any API the broker does not enable: the connection closes
    await assert.rejects(conn.rawRequest(apiByName.UnregisterBroker, 0, { brokerId: 1 }), (e: Error) => !/timed out/i.test(e.message));
  } finally {
    await admin.close();
  }
});
