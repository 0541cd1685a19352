/**
 * ACLs and SCRAM credentials live in whichever metadata store the broker uses: with ZooKeeper
 * (Kafka's own znodes, /kafka-acl/Topic/<name> and /config/users/<user>) and with etcd, an ACL
 * and a SCRAM user created through one broker are enforced after that broker is replaced by a
 * new one on the same store.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Cluster, createAcls, Producer } from '@samsa/client';
import { ErrorCode } from '@samsa/protocol';
import { startBroker, startEtcd, startZooKeeper, type CoordinationService, type TestBroker } from '../../src/testkit/index.js';
import { createScramUsers, listenerAddress, plainJaas, saslPlain } from '../support/security.js';

function securedConfig(storeKey: string, connect: string): Record<string, string> {
  return {
    [storeKey]: connect,
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'advertised.listeners': 'SASL_PLAINTEXT://localhost:0',
    'security.inter.broker.protocol': 'SASL_PLAINTEXT',
    'sasl.mechanism.inter.broker.protocol': 'PLAIN',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-512',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(),
    'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
    'super.users': 'User:admin',
  };
}

for (const [name, start, storeKey] of [['ZooKeeper', startZooKeeper, 'zookeeper.connect'], ['etcd', startEtcd, 'metadata.store']] as const) {
  describe(`security state in ${name}`, () => {
    let service: CoordinationService | undefined;
    const brokers: TestBroker[] = [];
    after(async () => {
      for (const b of brokers) await b.stop();
      await service?.stop();
    });

    it('an ACL and a SCRAM user outlive the broker that created them', async () => {
      service = await start();
      const config = securedConfig(storeKey, service.connect);
      const first = await startBroker({ storage: 'file', config });
      brokers.push(first);
      await createScramUsers(first, { dave: 'dave-secret' });
      const admin = new Cluster({ bootstrapServers: listenerAddress(first, 'SASL_PLAINTEXT'), sasl: saslPlain('admin') });
      assert.deepEqual(await createAcls(admin, [{ resourceType: 2, resourceName: 'ledger', patternType: 3, principal: 'User:dave', host: '*', operation: 4, permissionType: 3 }]), [null]);
      admin.close();
      await first.stop();
      brokers.pop();

      const second = await startBroker({ storage: 'file', config });
      brokers.push(second);
      await second.broker.topics.createTopic({ name: 'ledger' }).catch(() => {});
      await second.broker.topics.createTopic({ name: 'other' }).catch(() => {});
      const producer = new Producer({ bootstrapServers: listenerAddress(second, 'SASL_PLAINTEXT'), sasl: { mechanism: 'SCRAM-SHA-512', username: 'dave', password: 'dave-secret' }, maxBlockMs: 5000, retries: 0 });
      const [md] = await producer.send({ topic: 'ledger', messages: [{ value: 'entry' }] });
      assert.ok(md!.offset >= 0n);
      await assert.rejects(producer.send({ topic: 'other', messages: [{ value: 'nope' }] }), (e: Error & { code?: number }) => e.code === ErrorCode.TOPIC_AUTHORIZATION_FAILED || /TOPIC_AUTHORIZATION_FAILED/.test(e.message));
      await producer.close();
    });
  });
}
