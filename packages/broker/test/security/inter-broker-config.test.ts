/**
 * The client side of inter-broker connections built from the inter-broker listener's settings
 * (InterBrokerChannel): PLAIN and OAUTHBEARER credentials from the JAAS config, the refusals
 * that stop a broker at startup, host name verification; then PLAIN and unsecured OAUTHBEARER
 * end to end between two in-process brokers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { BrokerConfig } from '../../src/config/broker-config.js';
import { ConfigException } from '../../src/config/config-def.js';
import { InterBrokerChannel, unsecuredLoginToken } from '../../src/security/inter-broker.js';
import { startCluster } from '../../src/testkit/index.js';
import { plainJaas } from '../support/security.js';

const OAUTH_JAAS = (sub: string): string => `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="${sub}" unsecuredLoginListClaim_scope=",read,write" unsecuredLoginLifetimeSeconds="60";`;

function saslConfig(mechanism: string, jaas: Record<string, string>): Record<string, string> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,BROKER://127.0.0.1:0',
    'advertised.listeners': 'PLAINTEXT://localhost:0,BROKER://localhost:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,BROKER:SASL_PLAINTEXT',
    'inter.broker.listener.name': 'BROKER',
    'sasl.mechanism.inter.broker.protocol': mechanism,
    'listener.name.broker.sasl.enabled.mechanisms': mechanism,
    ...jaas,
  };
}

test('credentials come from the inter-broker listener\'s JAAS config; what cannot work stops the broker with the key to set', () => {
  const plain = new InterBrokerChannel(new BrokerConfig(saslConfig('PLAIN', { 'listener.name.broker.plain.sasl.jaas.config': plainJaas() })));
  assert.equal(plain.describe(), 'listener BROKER (SASL_PLAINTEXT, SASL PLAIN as admin)');
  const endpoint = plain.endpointOf({ nodeId: 1, host: 'h', port: 1, rack: null, endpoints: [{ listener: 'PLAINTEXT', host: 'a', port: 9092 }, { listener: 'BROKER', host: 'b', port: 9093 }] });
  assert.deepEqual(endpoint, { host: 'b', port: 9093 });
  assert.equal(plain.endpointOf({ nodeId: 1, host: 'h', port: 1, rack: null, endpoints: [{ listener: 'PLAINTEXT', host: 'a', port: 9092 }] }), undefined);

  assert.throws(() => new InterBrokerChannel(new BrokerConfig(saslConfig('PLAIN', {}))), (e: unknown) => e instanceof ConfigException && /Inter-broker SASL\/PLAIN on listener BROKER needs the broker's own credentials: set listener.name.broker.plain.sasl.jaas.config/.test(e.message));
  assert.throws(() => new InterBrokerChannel(new BrokerConfig(saslConfig('SCRAM-SHA-256', { 'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker";' }))), /needs username="..." and password="..."/);
  assert.throws(() => new InterBrokerChannel(new BrokerConfig(saslConfig('OAUTHBEARER', { 'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;' }))), /must make an unsecured token \(unsecuredLoginStringClaim_sub/);
  assert.throws(() => new InterBrokerChannel(new BrokerConfig(saslConfig('GSSAPI', {}))), /GSSAPI: Kerberos is not supported/);

  const tls = { listeners: 'SSL://127.0.0.1:0', 'security.inter.broker.protocol': 'SSL' };
  assert.throws(() => new InterBrokerChannel(new BrokerConfig({ ...tls, 'ssl.endpoint.identification.algorithm': 'ldaps' })), /Invalid value ldaps for configuration ssl.endpoint.identification.algorithm/);
  assert.throws(() => new InterBrokerChannel(new BrokerConfig({ ...tls, 'ssl.truststore.location': '/nonexistent/ca.pem' })), /Failed to load SSL keystore\/truststore \/nonexistent\/ca.pem/);
});

test('OAUTHBEARER between brokers: Kafka\'s unsecured login token with the JAAS claims', () => {
  const now = Date.UTC(2026, 0, 1);
  const token = unsecuredLoginToken(new Map([['unsecuredLoginStringClaim_sub', 'broker'], ['unsecuredLoginListClaim_scope', ',read,write'], ['unsecuredLoginNumberClaim_level', '3'], ['unsecuredLoginLifetimeSeconds', '60']]), now);
  const [header, payload, signature] = token.split('.');
  assert.deepEqual(JSON.parse(Buffer.from(header!, 'base64url').toString()), { alg: 'none' });
  assert.deepEqual(JSON.parse(Buffer.from(payload!, 'base64url').toString()), { iat: now / 1000, exp: now / 1000 + 60, sub: 'broker', scope: ['read', 'write'], level: 3 });
  assert.equal(signature, '');
});

for (const [mechanism, jaas] of [
  ['PLAIN', { 'listener.name.broker.plain.sasl.jaas.config': plainJaas() }],
  ['OAUTHBEARER', { 'listener.name.broker.oauthbearer.sasl.jaas.config': OAUTH_JAAS('broker') }],
] as const) {
  test(`two brokers replicate over SASL_PLAINTEXT with ${mechanism}; the broker principal is a super user`, { timeout: 60_000 }, async () => {
    const cluster = await startCluster({
      brokers: 2,
      config: { ...saslConfig(mechanism, jaas), 'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer', 'super.users': `User:${mechanism === 'PLAIN' ? 'admin' : 'broker'};User:ANONYMOUS`, 'replica.fetch.wait.max.ms': '100' },
    });
    try {
      const kafka = new Kafka({ clientId: 'ib', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'sasl-replicated', numPartitions: 1, replicationFactor: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'sasl-replicated', acks: -1, messages: [{ value: 'a' }, { value: 'b' }] });
      await producer.disconnect();
      const deadline = Date.now() + 20_000;
      const ends = (): bigint[] => [...cluster.brokers.values()].map((tb) => tb.broker.partitions.getPartition('sasl-replicated', 0)?.logEndOffset ?? -1n);
      while (!ends().every((o) => o === 2n)) {
        if (Date.now() > deadline) throw new Error(`replicas at ${ends().join(',')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      for (const tb of cluster.brokers.values()) assert.deepEqual([...tb.broker.metadata.topic('sasl-replicated')!.partitions[0]!.isr].sort(), [0, 1]);
    } finally {
      await cluster.stop();
    }
  });
}
