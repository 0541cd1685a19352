/**
 * Session lifetimes and tokens: KIP-368 re-authentication (connections.max.reauth.ms and an
 * OAUTHBEARER token's exp bound SaslAuthenticate's session_lifetime_ms; a client that does
 * not re-authenticate is disconnected at its next request after expiry, one that does keeps
 * its connection), expired and malformed tokens refused, signed tokens checked against a JWKS
 * (sasl.oauthbearer.jwks.endpoint.url), the pre-authentication gate, and legacy unframed
 * tokens after a v0 handshake. Time is a FakeClock: nothing sleeps.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { oauthBearerClientFirst } from '@samsa/protocol/sasl';
import { Producer } from '@samsa/client';
import { FakeClock, requestChannel, startBroker, type RequestEvent, type TestBroker } from '../../src/testkit/index.js';
import { WireClient } from '../testkit/wire-client.js';
import { createScramUsers, plainJaas, unsecuredJwt } from '../support/security.js';

const REAUTH_MS = 60_000;

async function authenticate(c: WireClient, mechanism: string, token: Buffer, authVersion = 1): Promise<{ errorCode: number; errorMessage: string | null; sessionLifetimeMs: bigint; authBytes: Buffer }> {
  const hs = await c.send(ApiKey.SaslHandshake, 1, { mechanism });
  assert.equal(hs.errorCode, ErrorCode.NONE);
  return c.send(ApiKey.SaslAuthenticate, authVersion, { authBytes: token });
}
const plainToken = (user: string, password: string): Buffer => Buffer.from(`\u0000${user}\u0000${password}`);
const metadata = (c: WireClient): Promise<{ topics: unknown[] }> => c.send(ApiKey.Metadata, 9, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });

describe('session lifetime and re-authentication (KIP-368)', () => {
  let clock: FakeClock;
  let tb: TestBroker;
  before(async () => {
    clock = new FakeClock(Date.now());
    tb = await startBroker({
      clock,
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'advertised.listeners': 'SASL_PLAINTEXT://localhost:0',
        'security.inter.broker.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'sasl.enabled.mechanisms': 'PLAIN,OAUTHBEARER',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(),
        'connections.max.reauth.ms': String(REAUTH_MS),
      },
    });
  });
  after(async () => tb?.stop());

  it('before authentication only ApiVersions and the SASL requests are answered; anything else closes', async () => {
    const c = await WireClient.connect(tb.port);
    const versions = await c.send(ApiKey.ApiVersions, 3, { clientSoftwareName: 'wire', clientSoftwareVersion: '1' });
    assert.equal(versions.errorCode, ErrorCode.NONE);
    void metadata(c).catch(() => {});
    await c.closed;
  });

  it('an unsupported mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list', async () => {
    const c = await WireClient.connect(tb.port);
    const hs = await c.send(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
    assert.equal(hs.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
    assert.deepEqual(hs.mechanisms, ['PLAIN', 'OAUTHBEARER']);
    await c.closed;
  });

  it('the session lifetime is connections.max.reauth.ms; without re-authentication the connection closes after it', async () => {
    const c = await WireClient.connect(tb.port);
    const auth = await authenticate(c, 'PLAIN', plainToken('alice', 'alice-secret'));
    assert.equal(auth.errorCode, ErrorCode.NONE);
    assert.equal(auth.sessionLifetimeMs, BigInt(REAUTH_MS));
    await metadata(c);
    clock.advance(REAUTH_MS + 1);
    await assert.rejects(metadata(c), /closed/);
    await c.closed;
  });

  it('re-authenticating on the same connection extends the session; the principal may not change', async () => {
    const c = await WireClient.connect(tb.port);
    assert.equal((await authenticate(c, 'PLAIN', plainToken('alice', 'alice-secret'))).errorCode, ErrorCode.NONE);
    clock.advance(REAUTH_MS - 1000);
    const again = await authenticate(c, 'PLAIN', plainToken('alice', 'alice-secret'));
    assert.equal(again.errorCode, ErrorCode.NONE);
    clock.advance(2000);
    await metadata(c); // still open: the new session runs from the re-authentication
    const other = await authenticate(c, 'PLAIN', plainToken('bob', 'bob-secret'));
    assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(other.errorMessage ?? '', /Cannot change principals during re-authentication/);
    await c.closed;
  });

  it('an OAUTHBEARER session ends with its token, sooner than connections.max.reauth.ms', async () => {
    const c = await WireClient.connect(tb.port);
    const auth = await authenticate(c, 'OAUTHBEARER', oauthBearerClientFirst(unsecuredJwt('erin', 20, clock.now())));
    assert.equal(auth.errorCode, ErrorCode.NONE);
    assert.ok(auth.sessionLifetimeMs <= 20_000n && auth.sessionLifetimeMs > 18_000n, String(auth.sessionLifetimeMs));
    c.close();
  });

  it('an expired token is refused with the RFC 7628 error challenge, then SASL_AUTHENTICATION_FAILED', async () => {
    const c = await WireClient.connect(tb.port);
    const first = await authenticate(c, 'OAUTHBEARER', oauthBearerClientFirst(unsecuredJwt('erin', -120, clock.now())));
    assert.equal(first.errorCode, ErrorCode.NONE);
    assert.deepEqual(JSON.parse(first.authBytes.toString()), { status: 'invalid_token' });
    const final = await c.send(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from([1]) });
    assert.equal(final.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    assert.match(final.errorMessage, /expired/);
    await c.closed;
  });

  it('kafka-python style: after a v0 handshake the PLAIN token travels unframed and a zero-length frame answers it', async () => {
    const c = await WireClient.connect(tb.port);
    const hs = await c.send(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    assert.equal(hs.errorCode, ErrorCode.NONE);
    const token = plainToken('alice', 'alice-secret');
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length);
    // From here the bytes are not Kafka responses: read the socket directly.
    c.socket.removeAllListeners('data');
    const answer = new Promise<Buffer>((resolve) => c.socket.once('data', resolve));
    c.sendRaw(Buffer.concat([size, token]));
    assert.deepEqual(await answer, Buffer.alloc(4));
    // A wrong password over the legacy path closes the connection (Kafka's behaviour).
    const bad = await WireClient.connect(tb.port);
    await bad.send(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' });
    const wrong = plainToken('alice', 'nope');
    size.writeInt32BE(wrong.length);
    bad.sendRaw(Buffer.concat([size, wrong]));
    await bad.closed;
    c.close();
  });
});

describe('OAUTHBEARER with signed tokens checked against a JWKS', () => {
  let tb: TestBroker;
  let dir: string;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signed = (key: typeof privateKey, claims: object): string => {
    const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${enc({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${enc(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  };
  const now = (): number => Math.floor(Date.now() / 1000);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'samsa-jwks-'));
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    tb = await startBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'advertised.listeners': 'SASL_PLAINTEXT://localhost:0',
        'security.inter.broker.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism.inter.broker.protocol': 'OAUTHBEARER',
        'listener.name.sasl_plaintext.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
        'sasl.enabled.mechanisms': 'OAUTHBEARER',
        'sasl.oauthbearer.jwks.endpoint.url': pathToFileURL(join(dir, 'jwks.json')).href,
        'sasl.oauthbearer.expected.issuer': 'https://issuer.test',
        'sasl.oauthbearer.expected.audience': 'kafka',
      },
    });
  });
  after(async () => {
    await tb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tryToken = async (token: string): Promise<{ ok: boolean; message: string }> => {
    const c = await WireClient.connect(tb.port);
    const first = await authenticate(c, 'OAUTHBEARER', oauthBearerClientFirst(token));
    if (first.errorCode === ErrorCode.NONE && first.authBytes.length === 0) {
      await metadata(c);
      c.close();
      return { ok: true, message: '' };
    }
    const final = await c.send(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from([1]) });
    c.close();
    return { ok: false, message: final.errorMessage ?? '' };
  };

  it('accepts a token signed by a JWKS key with the expected issuer and audience', async () => {
    assert.deepEqual(await tryToken(signed(privateKey, { sub: 'svc', iss: 'https://issuer.test', aud: 'kafka', iat: now(), exp: now() + 600 })), { ok: true, message: '' });
  });
  it('refuses a bad signature, another issuer, another audience and unsecured tokens', async () => {
    assert.match((await tryToken(signed(rogue.privateKey, { sub: 'svc', iss: 'https://issuer.test', aud: 'kafka', exp: now() + 600 }))).message, /signature is invalid/);
    assert.match((await tryToken(signed(privateKey, { sub: 'svc', iss: 'https://evil.test', aud: 'kafka', exp: now() + 600 }))).message, /issuer/);
    assert.match((await tryToken(signed(privateKey, { sub: 'svc', iss: 'https://issuer.test', aud: 'other', exp: now() + 600 }))).message, /audience/);
    assert.match((await tryToken(unsecuredJwt('svc', 600))).message, /unsupported token algorithm none/);
  });
});

describe('@samsa/client re-authenticates before its session ends', () => {
  it('a second SaslAuthenticate on the same connection, and the connection keeps working', async () => {
    const tb = await startBroker({
      config: {
        listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
        'advertised.listeners': 'SASL_PLAINTEXT://localhost:0',
        'security.inter.broker.protocol': 'SASL_PLAINTEXT',
        'sasl.mechanism.inter.broker.protocol': 'PLAIN',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-256,PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config': plainJaas(),
        'connections.max.reauth.ms': '1500',
      },
    });
    try {
      await createScramUsers(tb, { carol: 'carol-secret' });
      const auths = new Map<string, number>();
      let reauthenticated!: () => void;
      const seen = new Promise<void>((r) => (reauthenticated = r));
      const onRequest = (m: unknown): void => {
        const ev = m as RequestEvent;
        if (ev.apiKey !== ApiKey.SaslAuthenticate || ev.clientId !== 'reauth-client') return;
        const n = (auths.get(ev.connectionId) ?? 0) + 1;
        auths.set(ev.connectionId, n);
        if (n >= 4) reauthenticated(); // SCRAM: two rounds per authentication
      };
      requestChannel.subscribe(onRequest);
      const producer = new Producer({ bootstrapServers: tb.bootstrap, clientId: 'reauth-client', sasl: { mechanism: 'SCRAM-SHA-256', username: 'carol', password: 'carol-secret' } });
      await producer.send({ topic: 'reauth', messages: [{ value: 'before' }] });
      await seen;
      const [md] = await producer.send({ topic: 'reauth', messages: [{ value: 'after' }] });
      await producer.close();
      requestChannel.unsubscribe(onRequest);
      assert.equal(md!.offset, 1n);
      assert.ok([...auths.values()].some((n) => n >= 4), JSON.stringify([...auths]));
    } finally {
      await tb.stop();
    }
  });
});
