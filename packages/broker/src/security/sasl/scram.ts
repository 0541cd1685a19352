/**
 * SCRAM-SHA-256/512 server (RFC 5802 as Kafka's ScramSaslServer): client-first →
 * server-first (nonce, salt, iterations) → client-final with proof → server-final with the
 * server signature. Credentials are Kafka's `salt=..,stored_key=..,server_key=..,iterations=..`
 * strings from the user's entity config. Unknown users get a fake salt so the exchange looks
 * the same and fails only at the proof, as Kafka does.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import {
  decodeSaslName, digest, hmac, saltedPassword, SCRAM_MAX_ITERATIONS, SCRAM_MIN_ITERATIONS, scramAttributes, scramHash, serverKey, storedKey, xor, type ScramHash,
} from '@samsa/protocol/sasl';
import type { KafkaPrincipal } from '../principal.js';
import { SaslAuthenticationError, type SaslServer, type ScramMechanism } from './mechanism.js';

export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

export function formatScramCredential(c: ScramCredential): string {
  return `salt=${c.salt.toString('base64')},stored_key=${c.storedKey.toString('base64')},server_key=${c.serverKey.toString('base64')},iterations=${c.iterations}`;
}

/**
 * A new credential for a password (Kafka's ScramFormatter.generateCredential): what
 * `kafka-configs --zookeeper` stores for a user before any broker runs.
 */
export function scramCredentialFromPassword(mechanism: ScramMechanism, password: string, iterations: number): ScramCredential {
  if (iterations < SCRAM_MIN_ITERATIONS) throw new Error(`Iterations ${iterations} is less than the minimum ${SCRAM_MIN_ITERATIONS} required for ${mechanism}`);
  if (iterations > SCRAM_MAX_ITERATIONS) throw new Error(`Iterations ${iterations} is more than the maximum ${SCRAM_MAX_ITERATIONS} allowed for ${mechanism}`);
  const hash = scramHash(mechanism);
  const salt = randomBytes(32);
  const salted = saltedPassword(hash, password, salt, iterations);
  return { salt, storedKey: storedKey(hash, salted), serverKey: serverKey(hash, salted), iterations };
}

export function parseScramCredential(text: string): ScramCredential {
  const m = new Map(text.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return {
    salt: Buffer.from(m.get('salt') ?? '', 'base64'),
    storedKey: Buffer.from(m.get('stored_key') ?? '', 'base64'),
    serverKey: Buffer.from(m.get('server_key') ?? '', 'base64'),
    iterations: Number(m.get('iterations') ?? 4096),
  };
}

type State = 'first' | 'final' | 'done';

export class ScramSaslServer implements SaslServer {
  readonly credentialExpiresAtMs = null;
  private readonly hash: ScramHash;
  private state: State = 'first';
  private user = '';
  private credential: ScramCredential | null = null;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';

  constructor(readonly mechanism: ScramMechanism, private readonly lookup: (user: string) => ScramCredential | null) {
    this.hash = scramHash(mechanism);
  }

  get complete(): boolean {
    return this.state === 'done';
  }

  evaluate(token: Buffer): Buffer {
    const text = token.toString('utf8');
    try {
      if (this.state === 'first') return this.first(text);
      if (this.state === 'final') return this.final(text);
    } catch (e) {
      if (e instanceof SaslAuthenticationError) throw e;
      throw new SaslAuthenticationError(`Authentication failed: Invalid SCRAM client message: ${(e as Error).message}`);
    }
    throw new SaslAuthenticationError('Authentication failed: unexpected SCRAM message after completion');
  }

  private first(text: string): Buffer {
    // gs2-header: n|y|p=..., optional a=authzid, then the bare message.
    const m = /^([nyp][^,]*),(a=[^,]*)?,(.*)$/s.exec(text);
    if (m === null) throw new Error('missing GS2 header');
    if (m[1]!.startsWith('p')) throw new SaslAuthenticationError('Authentication failed: channel binding is not supported');
    this.clientFirstBare = m[3]!;
    const attrs = scramAttributes(this.clientFirstBare);
    const user = decodeSaslName(attrs.get('n') ?? '');
    const clientNonce = attrs.get('r') ?? '';
    if (user === '' || clientNonce === '') throw new Error('user name and nonce are required');
    const authzid = m[2]?.slice(2);
    if (authzid !== undefined && authzid !== '' && decodeSaslName(authzid) !== user) throw new SaslAuthenticationError('Authentication failed: Authorization id does not match user name');
    this.user = user;
    this.credential = this.lookup(user);
    const salt = this.credential?.salt ?? digest(this.hash, Buffer.from(`unknown-user:${user}`)).subarray(0, 16);
    const iterations = this.credential?.iterations ?? 4096;
    this.nonce = clientNonce + randomBytes(18).toString('base64').replace(/[=,]/g, '');
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${iterations}`;
    this.state = 'final';
    return Buffer.from(this.serverFirst, 'utf8');
  }

  private final(text: string): Buffer {
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new Error('missing proof');
    const withoutProof = text.slice(0, proofAt);
    const attrs = scramAttributes(text);
    // endsWith, as Kafka: librdkafka before 2.1 sends the client nonce twice in front.
    if (!(attrs.get('r') ?? '').endsWith(this.nonce)) throw new SaslAuthenticationError('Authentication failed: Invalid client nonce in the final client message.');
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const c = this.credential;
    const failed = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.mechanism}`;
    if (c === null) throw new SaslAuthenticationError(failed);
    const clientSignature = hmac(this.hash, c.storedKey, authMessage);
    const computedStored = digest(this.hash, xor(proof, clientSignature));
    if (proof.length !== clientSignature.length || !timingSafeEqual(computedStored, c.storedKey)) throw new SaslAuthenticationError(failed);
    this.state = 'done';
    return Buffer.from(`v=${hmac(this.hash, c.serverKey, authMessage).toString('base64')}`, 'utf8');
  }

  principal(): KafkaPrincipal {
    if (this.state !== 'done') throw new Error('SCRAM exchange not complete');
    return { type: 'User', name: this.user };
  }
}
