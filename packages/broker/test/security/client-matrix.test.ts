/**
 * Every client over every secured listener type and mechanism: @samsa/client, kafkajs,
 * confluent-kafka (librdkafka) and kafka-python (legacy unframed SASL after a v0 handshake)
 * produce and read back over SSL (mTLS, principal from the certificate), SASL_PLAINTEXT and
 * SASL_SSL with PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER (unsecured tokens). Then the
 * refusals: wrong passwords, unknown users, expired tokens, untrusted client certificates and
 * an untrusted broker, each with the client's own error, and nothing written by any of them.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Consumer, Producer, type SaslOptions } from '@samsa/client';
import type { TestBroker } from '../../src/testkit/index.js';
import { runPython } from '../interop/python-driver.js';
import { createScramUsers, listenerAddress, startSecuredBroker, unsecuredJwt } from '../support/security.js';
import { makeTestCerts, type TestCerts } from '../support/tls-certs.js';

const SCRAM_USERS = { carol: 'carol-secret', dave: 'dave-secret' };

interface Case {
  name: string;
  listener: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
  mechanism?: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';
  username?: string;
  password?: string;
  expectFailure?: boolean;
  /** Present a client certificate (SSL listener requires one). */
  clientCert?: 'trusted' | 'rogue' | 'none';
  /** Trust the broker's CA (false: the client must refuse the broker). */
  trustBroker?: boolean;
  tokenLifetimeS?: number;
}

const GOOD_CASES: Case[] = [
  { name: 'ssl-mtls', listener: 'SSL', clientCert: 'trusted' },
  { name: 'plaintext-plain', listener: 'SASL_PLAINTEXT', mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' },
  { name: 'plaintext-scram256', listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-256', username: 'carol', password: 'carol-secret' },
  { name: 'plaintext-scram512', listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', username: 'dave', password: 'dave-secret' },
  { name: 'ssl-plain', listener: 'SASL_SSL', mechanism: 'PLAIN', username: 'bob', password: 'bob-secret' },
  { name: 'ssl-scram512', listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' },
  { name: 'plaintext-oauth', listener: 'SASL_PLAINTEXT', mechanism: 'OAUTHBEARER', username: 'erin' },
];

const BAD_CASES: Case[] = [
  { name: 'bad-plain-password', listener: 'SASL_PLAINTEXT', mechanism: 'PLAIN', username: 'alice', password: 'wrong', expectFailure: true },
  { name: 'bad-scram-password', listener: 'SASL_SSL', mechanism: 'SCRAM-SHA-256', username: 'carol', password: 'wrong', expectFailure: true },
  { name: 'bad-scram-user', listener: 'SASL_PLAINTEXT', mechanism: 'SCRAM-SHA-512', username: 'nobody', password: 'x', expectFailure: true },
  { name: 'bad-rogue-cert', listener: 'SSL', clientCert: 'rogue', expectFailure: true },
  { name: 'bad-no-cert', listener: 'SSL', clientCert: 'none', expectFailure: true },
  { name: 'bad-untrusted-broker', listener: 'SASL_SSL', mechanism: 'PLAIN', username: 'alice', password: 'alice-secret', trustBroker: false, expectFailure: true },
];

let certs: TestCerts;
let tb: TestBroker;

before(async () => {
  certs = makeTestCerts();
  tb = await startSecuredBroker(certs);
  await createScramUsers(tb, SCRAM_USERS);
});
after(async () => {
  await tb?.stop();
  certs?.remove();
});

function tlsFiles(c: Case): { ca: string; cert?: string; key?: string } {
  const ca = c.trustBroker === false ? certs.rogueCert : certs.caCert;
  if (c.clientCert === 'trusted') return { ca, cert: certs.clientCert, key: certs.clientKey };
  if (c.clientCert === 'rogue') return { ca, cert: certs.rogueCert, key: certs.rogueKey };
  return { ca };
}

/** Topic per client and case, created up front so failures cannot hide behind auto-creation. */
async function topicFor(client: string, c: Case): Promise<string> {
  const topic = `${client}-${c.name}`;
  await tb.broker.topics.createTopic({ name: topic, numPartitions: 1 });
  return topic;
}

function assertNothingWritten(topic: string): void {
  const log = tb.broker.partitions.getPartition(topic, 0)?.log;
  assert.equal(log?.logEndOffset ?? 0n, 0n, `${topic}: a refused client wrote records`);
}

function samsaOptions(c: Case): { ssl?: object; sasl?: SaslOptions } {
  const files = tlsFiles(c);
  const ssl = c.listener === 'SASL_PLAINTEXT' ? undefined : { ca: certs.pem(files.ca), ...(files.cert !== undefined ? { cert: certs.pem(files.cert), key: certs.pem(files.key!) } : {}) };
  const sasl: SaslOptions | undefined = c.mechanism === undefined ? undefined
    : c.mechanism === 'OAUTHBEARER' ? { mechanism: 'OAUTHBEARER', token: () => unsecuredJwt(c.username!, c.tokenLifetimeS ?? 3600) }
    : { mechanism: c.mechanism, username: c.username!, password: c.password! };
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl !== undefined ? { sasl } : {}) };
}

describe('@samsa/client', () => {
  for (const c of GOOD_CASES) {
    it(`${c.name}: produces and consumes`, async () => {
      const topic = await topicFor('samsa', c);
      const bootstrapServers = listenerAddress(tb, c.listener);
      const producer = new Producer({ bootstrapServers, ...samsaOptions(c) });
      await producer.send({ topic, messages: [{ value: `${c.name}-0` }, { value: `${c.name}-1` }] });
      await producer.close();
      const consumer = new Consumer({ bootstrapServers, ...samsaOptions(c), autoOffsetReset: 'earliest' });
      consumer.assign([{ topic, partition: 0 }]);
      const seen: string[] = [];
      for await (const m of consumer) {
        seen.push(m.value!.toString());
        if (seen.length === 2) break;
      }
      await consumer.close();
      assert.deepEqual(seen, [`${c.name}-0`, `${c.name}-1`]);
    });
  }
  for (const c of BAD_CASES) {
    it(`${c.name}: refused`, async () => {
      const topic = await topicFor('samsa', c);
      const producer = new Producer({ bootstrapServers: listenerAddress(tb, c.listener), ...samsaOptions(c), maxBlockMs: 3000, reconnectBackoffMaxMs: 200 });
      await assert.rejects(producer.send({ topic, messages: [{ value: 'leak' }] }), (e: Error) => {
        if (c.mechanism !== undefined && c.trustBroker !== false) assert.match(e.message, /SASL_AUTHENTICATION_FAILED.*(Invalid username or password|invalid credentials)/);
        return true;
      });
      await producer.close();
      assertNothingWritten(topic);
    });
  }
});

/**
 * The same client configured with Kafka's property names instead of the ssl/sasl objects: a
 * Java client's config (security.protocol, sasl.jaas.config, a PEM truststore and keystore) and
 * a librdkafka one (sasl.mechanisms, sasl.username, ssl.ca.location, ssl.certificate.location).
 */
describe('@samsa/client with Kafka security properties', () => {
  const javaScram = (password: string): Record<string, string> => ({
    'security.protocol': 'SASL_SSL',
    'sasl.mechanism': 'SCRAM-SHA-512',
    'sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="carol" password="${password}";`,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caCert,
  });
  const propertyCases: { name: string; listener: Case['listener']; props: () => Record<string, string> }[] = [
    { name: 'java-sasl-ssl-scram512', listener: 'SASL_SSL', props: () => javaScram('carol-secret') },
    {
      name: 'java-ssl-pem-keystore',
      listener: 'SSL',
      props: () => {
        const keystore = `${certs.dir}/client-keystore.pem`;
        writeFileSync(keystore, certs.pem(certs.clientKey) + certs.pem(certs.clientCert));
        return { 'security.protocol': 'SSL', 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': certs.caCert, 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': keystore };
      },
    },
    { name: 'rdkafka-sasl-plaintext-plain', listener: 'SASL_PLAINTEXT', props: () => ({ 'security.protocol': 'sasl_plaintext', 'sasl.mechanisms': 'PLAIN', 'sasl.username': 'alice', 'sasl.password': 'alice-secret' }) },
    { name: 'rdkafka-ssl-mtls', listener: 'SSL', props: () => ({ 'security.protocol': 'ssl', 'ssl.ca.location': certs.caCert, 'ssl.certificate.location': certs.clientCert, 'ssl.key.location': certs.clientKey }) },
    { name: 'java-oauthbearer-unsecured', listener: 'SASL_PLAINTEXT', props: () => ({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="erin";' }) },
  ];
  for (const c of propertyCases) {
    it(`${c.name}: produces and reads back`, async () => {
      const topic = `samsa-props-${c.name}`;
      await tb.broker.topics.createTopic({ name: topic, numPartitions: 1 });
      const producer = new Producer({ 'bootstrap.servers': listenerAddress(tb, c.listener), ...c.props() });
      await producer.send({ topic, messages: [{ value: c.name }] });
      await producer.close();
      assert.equal(tb.broker.partitions.getPartition(topic, 0)?.log.logEndOffset, 1n);
    });
  }
  it('a wrong password given in sasl.jaas.config is refused and writes nothing', async () => {
    const topic = 'samsa-props-bad-password';
    await tb.broker.topics.createTopic({ name: topic, numPartitions: 1 });
    const producer = new Producer({ 'bootstrap.servers': listenerAddress(tb, 'SASL_SSL'), ...javaScram('wrong'), maxBlockMs: 3000, reconnectBackoffMaxMs: 200 });
    await assert.rejects(producer.send({ topic, messages: [{ value: 'leak' }] }), /SASL_AUTHENTICATION_FAILED/);
    await producer.close();
    assertNothingWritten(topic);
  });
  it('bad property values are configuration errors naming the property', () => {
    assert.throws(() => new Producer({ 'bootstrap.servers': 'localhost:1', 'security.protocol': 'TLS' } as never), /Invalid value TLS for configuration security.protocol/);
    assert.throws(() => new Producer({ 'bootstrap.servers': 'localhost:1', 'security.protocol': 'SASL_PLAINTEXT' }), /sasl.mechanism GSSAPI is not supported/);
    assert.throws(() => new Producer({ 'bootstrap.servers': 'localhost:1', 'security.protocol': 'SSL', 'ssl.keystore.location': certs.caCert }), /ssl.keystore.type JKS is not supported; use PKCS12 or PEM/);
    assert.throws(() => new Producer({ 'bootstrap.servers': 'localhost:1', 'security.protocl': 'SSL' } as never), /unknown option "security.protocl": did you mean security.protocol\?/);
    assert.throws(() => new Producer({ 'bootstrap.servers': 'localhost:1', 'security.protocol': 'SSL', ssl: true }), /option ssl given twice/);
  });
});

function kafkajsOptions(c: Case): { ssl?: object; sasl?: SASLOptions } {
  const files = tlsFiles(c);
  const ssl = c.listener === 'SASL_PLAINTEXT' ? undefined : { ca: [certs.pem(files.ca)], ...(files.cert !== undefined ? { cert: certs.pem(files.cert), key: certs.pem(files.key!) } : {}) };
  let sasl: SASLOptions | undefined;
  if (c.mechanism === 'OAUTHBEARER') sasl = { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: unsecuredJwt(c.username!, 3600) }) };
  else if (c.mechanism !== undefined) sasl = { mechanism: c.mechanism.toLowerCase() as 'plain', username: c.username!, password: c.password! };
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl !== undefined ? { sasl } : {}) };
}

describe('kafkajs', () => {
  for (const c of GOOD_CASES) {
    it(`${c.name}: produces and consumes`, async () => {
      const topic = await topicFor('kafkajs', c);
      const kafka = new Kafka({ clientId: 'sec-kafkajs', brokers: [listenerAddress(tb, c.listener)], logLevel: logLevel.NOTHING, ...kafkajsOptions(c) });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: `${c.name}-0` }, { value: `${c.name}-1` }] });
      await producer.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      assert.equal(offsets[0]!.high, '2');
    });
  }
  for (const c of BAD_CASES) {
    it(`${c.name}: refused`, async () => {
      const topic = await topicFor('kafkajs', c);
      const kafka = new Kafka({ clientId: 'sec-kafkajs', brokers: [listenerAddress(tb, c.listener)], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000, ...kafkajsOptions(c) });
      const producer = kafka.producer();
      await assert.rejects(async () => {
        await producer.connect();
        await producer.send({ topic, messages: [{ value: 'leak' }] });
      }, (e: Error) => {
        if (c.mechanism !== undefined && c.trustBroker !== false) assert.match(e.message, /SASL .*authentication failed/i);
        return true;
      });
      await producer.disconnect().catch(() => {});
      assertNothingWritten(topic);
    });
  }
});

async function pythonMatrix(client: 'confluent' | 'kafka-python'): Promise<void> {
  const cases = [...GOOD_CASES, ...BAD_CASES].filter((c) => !(client === 'kafka-python' && c.clientCert === 'none'));
  const jobs = [];
  for (const c of cases) {
    const files = tlsFiles(c);
    jobs.push({
      name: c.name, bootstrap: listenerAddress(tb, c.listener), protocol: c.listener, mechanism: c.mechanism, username: c.username, password: c.password,
      token: c.mechanism === 'OAUTHBEARER' ? unsecuredJwt(c.username!, 3600) : undefined,
      ca: files.ca, cert: files.cert, key: files.key, topic: await topicFor(client, c), expectFailure: c.expectFailure === true,
    });
  }
  const results = (await runPython('security_clients.py', [client], JSON.stringify(jobs), 240_000)) as Array<{ name: string; ok: boolean; values?: string[]; error: string | null }>;
  for (const [i, c] of cases.entries()) {
    const r = results[i]!;
    assert.equal(r.name, c.name);
    if (c.expectFailure === true) {
      assert.equal(r.ok, false, `${client} ${c.name} should have been refused`);
      if (client === 'confluent' && c.mechanism !== undefined && c.trustBroker !== false) assert.match(r.error ?? '', /Authentication failed|authentication/i, `${client} ${c.name}: ${r.error}`);
      assertNothingWritten(jobs[i]!.topic);
    } else {
      assert.ok(r.ok, `${client} ${c.name}: ${r.error}`);
      assert.deepEqual(r.values, [`${c.name}-0`, `${c.name}-1`], `${client} ${c.name}`);
    }
  }
}

describe('confluent-kafka (librdkafka)', () => {
  it('every listener and mechanism, and the refusals', async () => pythonMatrix('confluent'));
});

describe('kafka-python (v0 handshake, unframed tokens)', () => {
  it('every listener and mechanism, and the refusals', async () => pythonMatrix('kafka-python'));
});
