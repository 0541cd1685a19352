/**
 * Shared setup of the security tests: a broker with PLAINTEXT, SSL, SASL_PLAINTEXT and
 * SASL_SSL listeners on ephemeral ports (PEM keystore, PEM truststore), PLAIN users in the
 * listeners' JAAS configs, SCRAM users created over the wire, unsecured OAUTHBEARER tokens.
 */
import { Cluster, alterUserScramCredentials, type SaslOptions } from '@samsa/client';
import { startBroker, type TestBroker } from '../../src/testkit/index.js';
import type { TestCerts } from './tls-certs.js';

export const PLAIN_USERS: Record<string, string> = { admin: 'admin-secret', alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };

export function plainJaas(users: Record<string, string> = PLAIN_USERS): string {
  const entries = Object.entries(users).map(([u, p]) => `user_${u}="${p}"`).join(' ');
  return `org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" ${entries};`;
}

/** server.properties for the four-listener broker. */
export function securedListenersConfig(certs: TestCerts, extra: Record<string, string> = {}): Record<string, string> {
  return {
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'advertised.listeners': 'PLAINTEXT://localhost:0,SSL://localhost:0,SASL_PLAINTEXT://localhost:0,SASL_SSL://localhost:0',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': certs.serverPemKeystore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': certs.caCert,
    'listener.name.ssl.ssl.client.auth': 'required',
    'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+),.*$/$1/L,DEFAULT',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER',
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(),
    'listener.name.sasl_ssl.plain.sasl.jaas.config': plainJaas(),
    ...extra,
  };
}

export async function startSecuredBroker(certs: TestCerts, extra: Record<string, string> = {}): Promise<TestBroker> {
  return startBroker({ config: securedListenersConfig(certs, extra) });
}

/** `localhost:<port>` of a listener. */
export function listenerAddress(tb: TestBroker, name: string): string {
  const l = tb.broker.boundListeners.find((x) => x.name === name);
  if (l === undefined) throw new Error(`no listener ${name}`);
  return `localhost:${l.port}`;
}

/** Creates SCRAM credentials for users (both mechanisms), authenticating as the PLAIN admin. */
export async function createScramUsers(tb: TestBroker, users: Record<string, string>): Promise<void> {
  const cluster = new Cluster({ bootstrapServers: listenerAddress(tb, 'SASL_PLAINTEXT'), sasl: { mechanism: 'PLAIN', username: 'admin', password: PLAIN_USERS['admin']! } });
  try {
    const upsertions = Object.entries(users).flatMap(([user, password]) => (['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const).map((mechanism) => ({ user, mechanism, password, iterations: 4096 })));
    const results = await alterUserScramCredentials(cluster, upsertions);
    for (const r of results) if (r.error !== null) throw r.error;
  } finally {
    await cluster.close();
  }
}

/** Kafka's unsecured JWS (alg none), as OAuthBearerUnsecuredLoginCallbackHandler makes. */
export function unsecuredJwt(sub: string, lifetimeSeconds: number, now = Date.now()): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(now / 1000);
  return `${enc({ alg: 'none' })}.${enc({ sub, iat, exp: iat + lifetimeSeconds })}.`;
}

export const saslPlain = (user: string): SaslOptions => ({ mechanism: 'PLAIN', username: user, password: PLAIN_USERS[user]! });
