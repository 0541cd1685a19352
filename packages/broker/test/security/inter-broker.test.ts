/**
 * Inter-broker security (issue 15): 3 brokers on ZooKeeper whose followers and transaction
 * markers travel over a listener of their own, INTERNAL, while clients use another one.
 *
 * - SSL with mTLS: every broker presents its keystore certificate as a client certificate; the
 *   broker principal (the certificate's DN) is a super user, ACLs on.
 * - SASL_SSL with SCRAM-SHA-512: the brokers' own user is created in ZooKeeper before any broker
 *   starts (as Kafka's docs do with kafka-configs --zookeeper), is a super user, ACLs on.
 *
 * In both: an RF 3 topic gets ISR 3, acks=all records reach every replica's log, a transaction's
 * markers reach leaders on other brokers than the coordinator, the leader's death moves
 * leadership and writes go on, and the restarted broker rejoins the ISR. Then a fourth broker
 * with an untrusted certificate, a wrong password, or a user without ClusterAction stays out of
 * the ISR, replicates nothing, and says why in its log.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { Connection } from '@samsa/network';
import { ApiKey, apiByName, ErrorCode } from '@samsa/protocol';
import { createLogger, spawnSamsa, startBroker, startCluster, startZooKeeper, type CoordinationService, type TestBroker, type TestCluster } from '../../src/testkit/index.js';
import { TxnState } from '../../src/coordinator/transaction/txn-records.js';
import { plainJaas } from '../support/security.js';
import { makeTestCerts, type TestCerts } from '../support/tls-certs.js';

const TOPIC = 'secured-replication';
/** The broker certificate's subject as the principal mapper gives it (RFC 2253 order). */
const BROKER_DN = 'O=Samsa,CN=localhost';
/** Log lines of refused handshakes, logins or authorizations (a killed leader's refused connections are expected). */
const AUTH_TROUBLE = /Failed authentication|handshake|Authentication failed|is Denied|AUTHORIZATION_FAILED|certificate/i;
const SCRAM_JAAS = (user: string, password: string): string => `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;

let certs: TestCerts;
let zk: CoordinationService;
let roguePemKeystore: string;

before(async () => {
  certs = makeTestCerts();
  roguePemKeystore = join(certs.dir, 'rogue-keystore.pem');
  writeFileSync(roguePemKeystore, certs.pem(certs.rogueKey) + certs.pem(certs.rogueCert));
  zk = await startZooKeeper();
});
after(async () => {
  await zk?.stop();
  certs?.remove();
});

/** Settings every broker of both clusters shares: a client listener and the INTERNAL one. */
function baseConfig(clientProtocol: string, internalProtocol: string): Record<string, string> {
  return {
    listeners: 'CLIENT://127.0.0.1:0,INTERNAL://127.0.0.1:0',
    'advertised.listeners': 'CLIENT://localhost:0,INTERNAL://localhost:0',
    'listener.security.protocol.map': `CLIENT:${clientProtocol},INTERNAL:${internalProtocol}`,
    'inter.broker.listener.name': 'INTERNAL',
    'listener.name.internal.ssl.keystore.type': 'PEM',
    'listener.name.internal.ssl.keystore.location': certs.serverPemKeystore,
    'listener.name.internal.ssl.truststore.type': 'PEM',
    'listener.name.internal.ssl.truststore.location': certs.caCert,
    'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
    // A loaded machine can take seconds to let a first ZooKeeper session in.
    'zookeeper.connection.timeout.ms': '30000',
    'replica.lag.time.max.ms': '3000',
    'replica.fetch.wait.max.ms': '200',
    'replica.fetch.backoff.ms': '200',
    'transaction.state.log.replication.factor': '3',
    'transaction.state.log.min.isr': '2',
    'transaction.state.log.num.partitions': '2',
    'offsets.topic.num.partitions': '2',
  };
}

interface Secured {
  cluster: TestCluster;
  kafka: Kafka;
  lines: string[];
  config: Record<string, string>;
  clientSasl?: SASLOptions;
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function partitionImage(tb: TestBroker, topic: string, p: number): { leader: number; isr: readonly number[]; replicas: readonly number[] } | undefined {
  return tb.broker.metadata.topic(topic)?.partitions[p];
}

/** Log end offsets of a partition on each running broker hosting it. */
function logEnds(s: Secured, topic: string, p: number): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const [id, tb] of s.cluster.brokers) {
    const part = tb.broker.partitions.getPartition(topic, p);
    if (part !== undefined) out.set(id, part.logEndOffset);
  }
  return out;
}

const anyBroker = (s: Secured): TestBroker => s.cluster.brokers.values().next().value!;

async function isrOf(s: Secured, topic: string, p: number, want: number[]): Promise<void> {
  await until(() => [...s.cluster.brokers.values()].every((tb) => [...(partitionImage(tb, topic, p)?.isr ?? [])].sort().join(',') === want.join(',')), `ISR of ${topic}-${p} to be ${want.join(',')}`);
}

/** The shared scenario: ISR 3, acks=all on every replica, remote markers, failover, rejoin. */
async function replicateFailOverAndCommit(s: Secured): Promise<void> {
  const admin = s.kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
  await admin.disconnect();
  for (const p of [0, 1, 2]) await isrOf(s, TOPIC, p, [0, 1, 2]);

  // acks=all: every replica's log has every record once the producer has its answers.
  const producer = s.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ partition: i % 3, value: `r${i}` })) });
  for (const p of [0, 1, 2]) {
    await until(() => [...logEnds(s, TOPIC, p).values()].every((o) => o === 10n) && logEnds(s, TOPIC, p).size === 3, `3 replicas of ${TOPIC}-${p} at offset 10 (${[...logEnds(s, TOPIC, p)].join(' ')})`);
  }

  // A transaction over the three partitions: the ones led elsewhere than the coordinator get
  // their commit marker through WriteTxnMarkers on the inter-broker listener.
  const txn = s.kafka.producer({ transactionalId: 'secured-tx', idempotent: true, maxInFlightRequests: 1 });
  await txn.connect();
  const t = await txn.transaction();
  await t.send({ topic: TOPIC, messages: [0, 1, 2].map((partition) => ({ partition, value: `tx${partition}` })) });
  await t.commit();
  await txn.disconnect();
  const coordinator = anyBroker(s).broker.transactionCoordinator!.coordinatorNodeFor('secured-tx');
  // EndTxn answers once PrepareCommit is written; the markers' acks and CompleteCommit follow.
  // A coordinator that dies before CompleteCommit leaves its successor to send the markers
  // again (as Kafka's does), a second commit marker that would shift the offsets below.
  const txnState = () => {
    const md = s.cluster.broker(coordinator!).broker.transactionCoordinator!.coordinator.describe('secured-tx');
    return typeof md === 'number' ? `error ${md}` : TxnState[md.state];
  };
  await until(() => txnState() === 'CompleteCommit', `the transaction to complete on coordinator ${coordinator} (${txnState()})`);
  const leaders = [0, 1, 2].map((p) => partitionImage(anyBroker(s), TOPIC, p)!.leader);
  assert.ok(leaders.some((l) => l !== coordinator), `a partition led elsewhere than the coordinator (${coordinator}): leaders ${leaders.join(',')}`);
  for (const p of [0, 1, 2]) {
    // The record and the commit marker, on every replica; the leader's last stable offset past both.
    await until(() => [...logEnds(s, TOPIC, p).values()].every((o) => o === 12n), `commit marker of ${TOPIC}-${p} on every replica (${[...logEnds(s, TOPIC, p)].join(' ')})`);
    const leader = s.cluster.broker(leaders[p]!).broker.partitions.getPartition(TOPIC, p)!;
    await until(() => leader.lastStableOffset === 12n, `last stable offset of ${TOPIC}-${p} at 12`);
  }

  // The leader of partition 0 dies: another replica leads, acks=all writes go on with ISR 2.
  const dead = leaders[0]!;
  await s.cluster.killBroker(dead);
  await until(() => [...s.cluster.brokers.values()].every((tb) => { const pi = partitionImage(tb, TOPIC, 0); return pi !== undefined && pi.leader >= 0 && pi.leader !== dead; }), 'a new leader of partition 0');
  const survivors = [0, 1, 2].filter((id) => id !== dead);
  await isrOf(s, TOPIC, 0, survivors);
  await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `after${i}` })) });
  await until(() => survivors.every((id) => logEnds(s, TOPIC, 0).get(id) === 17n), `both survivors at offset 17 (${[...logEnds(s, TOPIC, 0)].join(' ')})`);
  await producer.disconnect();

  // The dead broker comes back (an empty memory log): it catches up over INTERNAL and rejoins.
  await s.cluster.restartBroker(dead);
  await isrOf(s, TOPIC, 0, [0, 1, 2]);
  await until(() => logEnds(s, TOPIC, 0).get(dead) === 17n, `the restarted broker at offset 17 (${[...logEnds(s, TOPIC, 0)].join(' ')})`);
}

/**
 * A fourth broker, misconfigured as `bad` says, follows a new partition led by a good broker:
 * it must stay out of the ISR and hold nothing, and its log must say why.
 */
async function refusedFollower(s: Secured, id: number, bad: Record<string, string>, expected: RegExp, topic: string): Promise<string[]> {
  const lines: string[] = [];
  const tb = await startBroker({
    storage: 'memory',
    logger: createLogger('kafka.server.KafkaServer', { sink: (l) => lines.push(l), level: 'INFO' }),
    config: { ...s.config, 'broker.id': String(id), 'zookeeper.connect': s.cluster.connect!, 'zookeeper.session.timeout.ms': '6000', ...bad },
  });
  try {
    await until(() => anyBroker(s).broker.metadata.brokers.some((b) => b.nodeId === id), `broker ${id} registered`);
    const leader = [...s.cluster.brokers.keys()][0]!;
    const admin = s.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, replicaAssignment: [{ partition: 0, replicas: [leader, id] }] }], waitForLeaders: true });
    await admin.disconnect();
    const producer = s.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: 1, messages: Array.from({ length: 5 }, (_, i) => ({ value: `x${i}` })) });
    await producer.disconnect();
    // Created with both live replicas in the ISR, the leader drops the one that never fetches.
    await isrOf(s, topic, 0, [leader]);
    await until(() => lines.some((l) => expected.test(l)), `broker ${id} to log ${expected}; it logged:\n${lines.filter((l) => / (WARN|ERROR) /.test(l)).slice(0, 5).join('\n')}`);
    assert.equal(tb.broker.partitions.getPartition(topic, 0)?.logEndOffset ?? 0n, 0n, 'nothing replicated to the refused follower');
    assert.deepEqual([...partitionImage(anyBroker(s), topic, 0)!.isr], [leader]);
    return lines;
  } finally {
    await tb.broker.stop({ controlledShutdown: false });
    await tb.stop();
  }
}

describe('inter-broker listener SSL with mTLS', { timeout: 120_000 }, () => {
  let s: Secured;
  const lines: string[] = [];
  before(async () => {
    const config = {
      ...baseConfig('PLAINTEXT', 'SSL'),
      'listener.name.internal.ssl.client.auth': 'required',
      // The clients' PLAINTEXT listener is ANONYMOUS; brokers are their certificate's DN.
      'super.users': `User:${BROKER_DN};User:ANONYMOUS`,
    };
    const cluster = await startCluster({ brokers: 3, store: 'zookeeper', connect: zk.connect, config, logger: createLogger('kafka.server.KafkaServer', { sink: (l) => lines.push(l), level: 'INFO' }) });
    s = { cluster, lines, config, kafka: new Kafka({ clientId: 'ib-ssl', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } }) };
  });
  after(() => s?.cluster.stop());

  it('replicates acks=all to ISR 3, sends markers to remote leaders, fails over and rejoins over TLS', async () => {
    assert.ok(lines.some((l) => /other brokers are reached on listener INTERNAL \(SSL\)/.test(l)), 'the registration line names the inter-broker listener');
    await replicateFailOverAndCommit(s);
    // The brokers really authenticated each other with certificates: no refusals in the logs.
    const refusals = lines.filter((l) => AUTH_TROUBLE.test(l));
    assert.deepEqual(refusals, []);
  });

  it('a broker whose certificate the others do not trust stays out of the ISR', async () => {
    const leaderLinesBefore = lines.length;
    await refusedFollower(s, 3, { 'listener.name.internal.ssl.keystore.location': roguePemKeystore }, /Error in fetch from localhost:\d+ \(inter-broker listener INTERNAL, SSL\): .*SSL handshake failed: the broker does not accept our certificate/, 'untrusted-follower');
    // The leader's side: the handshake refused, in Kafka's words.
    assert.ok(lines.slice(leaderLinesBefore).some((l) => /Failed authentication with .* \(SSL handshake failed/.test(l)), 'the leader logs the refused handshake');
  });
  it('rotates broker 0\'s certificate without a restart: AlterConfigs on listener.name.internal.ssl.keystore.location', async () => {
    // A new certificate from the same CA, with its own serial number.
    const f = (n: string): string => join(certs.dir, n);
    const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: certs.dir, stdio: ['ignore', 'ignore', 'pipe'] });
    ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('rotated.key'), '-out', f('rotated.csr'), '-subj', '/CN=localhost/O=Samsa');
    writeFileSync(f('rotated.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', f('rotated.csr'), '-CA', certs.caCert, '-CAkey', f('samsa-test-ca.key'), '-CAcreateserial', '-out', f('rotated.crt'), '-days', '2', '-extfile', f('rotated.ext'));
    writeFileSync(f('rotated-keystore.pem'), certs.pem(f('rotated.key')) + certs.pem(f('rotated.crt')));
    const rotatedSerial = new X509Certificate(certs.pem(f('rotated.crt'))).serialNumber;
    const b0 = s.cluster.broker(0).broker;
    const internalPort = b0.boundListeners.find((l) => l.name === 'INTERNAL')!.port;
    const servedSerial = async (): Promise<string> => {
      const socket = tlsConnect({ host: '127.0.0.1', port: internalPort, servername: 'localhost', ca: certs.pem(certs.caCert), key: certs.pem(certs.serverKey), cert: certs.pem(certs.serverCert) });
      try {
        await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
        return socket.getPeerCertificate().serialNumber;
      } finally {
        socket.destroy();
      }
    };
    assert.notEqual((await servedSerial()).toUpperCase(), rotatedSerial.toUpperCase());

    // Sent to broker 0 itself (the stores are its files), as Kafka's admin client does.
    const conn = new Connection('127.0.0.1', b0.boundListeners.find((l) => l.name === 'CLIENT')!.port, 0, {
      clientId: 'rotate', requestTimeoutMs: 30_000, connectTimeoutMs: 10_000, reconnectBackoffMs: 50, reconnectBackoffMaxMs: 1000,
      maxVersions: new Map([[ApiKey.ApiVersions, 3], [ApiKey.IncrementalAlterConfigs, 1]]), softwareName: 'test', softwareVersion: '1',
    });
    const alter = async (entity: string, value: string): Promise<{ errorCode: number; errorMessage: string | null }> => {
      const { response } = await conn.send(apiByName.IncrementalAlterConfigs, () => ({
        validateOnly: false,
        resources: [{ resourceType: 4, resourceName: entity, configs: [{ name: 'listener.name.internal.ssl.keystore.location', configOperation: 0, value }] }],
      }));
      return response.responses[0]!;
    };
    try {
      // A store that does not load is refused with the reason; so is a cluster-wide default.
      const missing = await alter('0', f('no-such-keystore.pem'));
      assert.equal(missing.errorCode, ErrorCode.INVALID_REQUEST);
      assert.match(missing.errorMessage ?? '', /Failed to load SSL keystore\/truststore .*no-such-keystore.pem/);
      const clusterWide = await alter('', f('rotated-keystore.pem'));
      assert.equal(clusterWide.errorCode, ErrorCode.INVALID_REQUEST);
      assert.match(clusterWide.errorMessage ?? '', /Cannot update these configs at default cluster level, broker id must be specified/);
      const rotated = await alter('0', f('rotated-keystore.pem'));
      assert.equal(rotated.errorCode, ErrorCode.NONE, rotated.errorMessage ?? '');
    } finally {
      conn.close();
    }
    await until(() => lines.some((l) => /Reloaded the TLS key and trust stores of listeners INTERNAL/.test(l)), 'the reload');
    assert.equal((await servedSerial()).toUpperCase(), rotatedSerial.toUpperCase());
    // Replication carries on: new inter-broker connections to and from broker 0 use the new certificate.
    const producer = s.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: TOPIC, acks: -1, messages: [0, 1, 2].map((partition) => ({ partition, value: 'after-rotation' })) });
    await producer.disconnect();
    for (const p of [0, 1, 2]) await isrOf(s, TOPIC, p, [0, 1, 2]);
  });
});

describe('inter-broker listener SASL_SSL with SCRAM-SHA-512 and ACLs', { timeout: 120_000 }, () => {
  let s: Secured;
  const lines: string[] = [];
  before(async () => {
    const config = {
      ...baseConfig('SASL_PLAINTEXT', 'SASL_SSL'),
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.internal.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.internal.scram-sha-512.sasl.jaas.config': SCRAM_JAAS('broker', 'broker-secret'),
      'listener.name.client.sasl.enabled.mechanisms': 'PLAIN',
      'listener.name.client.plain.sasl.jaas.config': plainJaas(),
      'super.users': 'User:broker;User:admin',
    };
    const cluster = await startCluster({
      brokers: 3, store: 'zookeeper', connect: zk.connect, config,
      logger: createLogger('kafka.server.KafkaServer', { sink: (l) => lines.push(l), level: 'INFO' }),
      // Before any broker runs: the brokers' user, and one with valid credentials and no ACLs.
      prepareStore: (connect) => createScramUsers(connect!, { broker: 'broker-secret', intruder: 'intruder-secret' }),
    });
    const clientSasl: SASLOptions = { mechanism: 'plain', username: 'admin', password: 'admin-secret' };
    s = { cluster, lines, config, clientSasl, kafka: new Kafka({ clientId: 'ib-sasl', brokers: cluster.bootstrap.split(','), sasl: clientSasl, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } }) };
  });
  after(() => s?.cluster.stop());

  it('replicates acks=all to ISR 3, sends markers to remote leaders, fails over and rejoins over SASL_SSL', async () => {
    assert.ok(lines.some((l) => /other brokers are reached on listener INTERNAL \(SASL_SSL, SASL SCRAM-SHA-512 as broker\)/.test(l)));
    await replicateFailOverAndCommit(s);
    const refusals = lines.filter((l) => AUTH_TROUBLE.test(l));
    assert.deepEqual(refusals, []);
  });

  it('a broker with a wrong inter-broker password stays out of the ISR', async () => {
    await refusedFollower(s, 3, { 'listener.name.internal.scram-sha-512.sasl.jaas.config': SCRAM_JAAS('broker', 'not-the-password') }, /Error in fetch from localhost:\d+ \(inter-broker listener INTERNAL, SASL_SSL\): .*Authentication failed/, 'wrong-password-follower');
    assert.ok(lines.some((l) => /Failed authentication with .*invalid credentials with SASL mechanism SCRAM-SHA-512/.test(l)), 'the leader logs the failed authentication');
  });

  it('an authenticated broker user without ClusterAction replicates nothing', async () => {
    await refusedFollower(s, 4, { 'listener.name.internal.scram-sha-512.sasl.jaas.config': SCRAM_JAAS('intruder', 'intruder-secret') }, /was refused \((TOPIC|CLUSTER)_AUTHORIZATION_FAILED\): the inter-broker principal on listener INTERNAL needs ClusterAction/, 'unauthorized-follower');
    assert.ok(lines.some((l) => /Principal = User:intruder is Denied Operation = ClusterAction/.test(l)), `the leader logs the denial:\n${lines.filter((l) => /Denied|authoriz/i.test(l)).slice(0, 5).join('\n')}`);
  });
});

/**
 * SCRAM-SHA-512 credentials written into ZooKeeper before any broker runs, with the tool and
 * flags of Kafka's docs: kafka-configs --zookeeper ... --alter --add-config 'SCRAM-SHA-512=[password=...]'.
 */
async function createScramUsers(connect: string, users: Record<string, string>): Promise<void> {
  await Promise.all(Object.entries(users).map(async ([user, password]) => {
    const child = spawnSamsa(['kafka-configs', '--zookeeper', connect, '--alter', '--add-config', `SCRAM-SHA-512=[iterations=4096,password=${password}]`, '--entity-type', 'users', '--entity-name', user]);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, out);
    assert.equal(out, `Completed updating config for entity: user-principal '${user}'.\n`);
  }));
}
