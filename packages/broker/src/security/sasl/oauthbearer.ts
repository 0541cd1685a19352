/**
 * SASL/OAUTHBEARER (RFC 7628, KIP-255/KIP-768). The client-first message carries
 * `auth=Bearer <JWT>`. Without sasl.oauthbearer.jwks.endpoint.url the broker accepts Kafka's
 * unsecured tokens (alg "none", OAuthBearerUnsecuredValidatorCallbackHandler: exp required,
 * principal from the `sub` claim); with it, the JWT's RS/ES/PS signature is checked against the
 * JWKS keys and the issuer/audience settings. A rejected token gets the RFC 7628 error
 * challenge `{"status":"invalid_token"}`; the client's `\x01` reply then fails the exchange.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { KafkaPrincipal } from '../principal.js';
import { SaslAuthenticationError, type SaslServer } from './mechanism.js';

export interface OAuthBearerOptions {
  /** Claim naming the principal (sasl.oauthbearer.sub.claim.name / unsecuredValidatorPrincipalClaimName). */
  principalClaim: string;
  clockSkewMs: number;
  /** Signature check; null = unsecured tokens (alg none) only. */
  jwks: JwksKeys | null;
  expectedIssuer: string | null;
  expectedAudience: readonly string[];
  now(): number;
}

type Claims = Record<string, unknown>;

export class OAuthBearerSaslServer implements SaslServer {
  readonly mechanism = 'OAUTHBEARER';
  private user: string | null = null;
  private expiresAt: number | null = null;
  private failure: string | null = null;

  constructor(private readonly opts: OAuthBearerOptions) {}

  get complete(): boolean {
    return this.user !== null;
  }
  get credentialExpiresAtMs(): number | null {
    return this.expiresAt;
  }

  async evaluate(token: Buffer): Promise<Buffer> {
    if (this.failure !== null) throw new SaslAuthenticationError(this.failure);
    const text = token.toString('utf8');
    const m = /^[ny][^,]*,[^,]*,\u0001(.*)\u0001$/s.exec(text);
    if (m === null) throw new SaslAuthenticationError('Authentication failed: Invalid OAUTHBEARER client first message');
    const kv = new Map(m[1]!.split('\u0001').filter((x) => x !== '').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    const auth = /^Bearer\s+(\S+)$/i.exec(kv.get('auth') ?? '');
    if (auth === null) throw new SaslAuthenticationError('Authentication failed: Invalid OAUTHBEARER client first message: no Bearer token');
    try {
      const claims = await this.validate(auth[1]!);
      this.user = claims[this.opts.principalClaim] as string;
      this.expiresAt = (claims['exp'] as number) * 1000;
      return Buffer.alloc(0);
    } catch (e) {
      this.failure = `Authentication failed: ${(e as Error).message}`;
      return Buffer.from(JSON.stringify({ status: 'invalid_token' }), 'utf8');
    }
  }

  private async validate(jwt: string): Promise<Claims> {
    const parts = jwt.split('.');
    if (parts.length !== 3) throw new Error('the token is not a JWS compact serialization');
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Claims;
    if (this.opts.jwks === null) {
      if (header.alg !== 'none') throw new Error(`unsecured tokens must have alg "none", not ${header.alg}`);
    } else {
      const key = await this.opts.jwks.key(header.kid ?? null);
      const alg = header.alg ?? '';
      if (!verifyJws(alg, key, `${parts[0]}.${parts[1]}`, Buffer.from(parts[2]!, 'base64url'))) throw new Error('the token signature is invalid');
      if (this.opts.expectedIssuer !== null && claims['iss'] !== this.opts.expectedIssuer) throw new Error(`the token issuer ${String(claims['iss'])} is not the expected one`);
      if (this.opts.expectedAudience.length > 0) {
        const aud = Array.isArray(claims['aud']) ? (claims['aud'] as string[]) : [claims['aud'] as string];
        if (!aud.some((a) => this.opts.expectedAudience.includes(a))) throw new Error('the token audience is not an expected one');
      }
    }
    const exp = claims['exp'];
    if (typeof exp !== 'number') throw new Error('the token has no "exp" claim');
    const now = this.opts.now();
    if (exp * 1000 + this.opts.clockSkewMs <= now) throw new Error(`the token expired at ${new Date(exp * 1000).toISOString()}`);
    const sub = claims[this.opts.principalClaim];
    if (typeof sub !== 'string' || sub === '') throw new Error(`the token has no "${this.opts.principalClaim}" claim`);
    return claims;
  }

  principal(): KafkaPrincipal {
    if (this.user === null) throw new Error('OAUTHBEARER exchange not complete');
    return { type: 'User', name: this.user };
  }
}

function verifyJws(alg: string, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  const m = /^(RS|ES|PS)(256|384|512)$/.exec(alg);
  if (m === null) throw new Error(`unsupported token algorithm ${alg}`);
  const hash = `sha${m[2]}`;
  if (m[1] === 'RS') return verify(hash, Buffer.from(signingInput), key, signature);
  if (m[1] === 'PS') return verify(hash, Buffer.from(signingInput), { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: Number(m[2]) / 8 }, signature);
  return verify(hash, Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** JWKS keys from an https:// or file:// URL, refreshed when a token names an unknown key id. */
export class JwksKeys {
  private keys = new Map<string, KeyObject>();
  private loadedAt = 0;

  constructor(private readonly url: string, private readonly now: () => number) {}

  async key(kid: string | null): Promise<KeyObject> {
    if (this.keys.size === 0 || (kid !== null && !this.keys.has(kid) && this.now() - this.loadedAt > 1000)) await this.refresh();
    const key = kid !== null ? this.keys.get(kid) : this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
    if (key === undefined) throw new Error(`no JWKS key ${kid ?? '(no kid)'} at ${this.url}`);
    return key;
  }

  private async refresh(): Promise<void> {
    const text = this.url.startsWith('file:') ? await readFile(new URL(this.url), 'utf8') : await (await fetch(this.url)).text();
    const set = JSON.parse(text) as { keys: Array<Record<string, unknown> & { kid?: string }> };
    const next = new Map<string, KeyObject>();
    set.keys.forEach((jwk, i) => next.set(jwk.kid ?? `#${i}`, createPublicKey({ key: jwk as never, format: 'jwk' })));
    this.keys = next;
    this.loadedAt = this.now();
  }
}
