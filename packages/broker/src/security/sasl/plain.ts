/**
 * SASL/PLAIN (RFC 4616): one token `authzid NUL authcid NUL password`, checked against the
 * `user_<name>="<password>"` options of Kafka's PlainLoginModule JAAS config.
 */
import { timingSafeEqual } from 'node:crypto';
import type { KafkaPrincipal } from '../principal.js';
import { SaslAuthenticationError, type SaslServer } from './mechanism.js';

export class PlainSaslServer implements SaslServer {
  readonly mechanism = 'PLAIN';
  readonly credentialExpiresAtMs = null;
  private user: string | null = null;

  constructor(private readonly users: ReadonlyMap<string, string>) {}

  get complete(): boolean {
    return this.user !== null;
  }

  evaluate(token: Buffer): Buffer {
    const parts = token.toString('utf8').split('\u0000');
    if (parts.length !== 3) throw new SaslAuthenticationError('Invalid SASL/PLAIN response: expected 3 tokens');
    const [authzid, username, password] = parts as [string, string, string];
    if (username === '') throw new SaslAuthenticationError('Authentication failed: username not specified');
    if (password === '') throw new SaslAuthenticationError('Authentication failed: password not specified');
    const expected = this.users.get(username);
    if (expected === undefined || !equalSecrets(expected, password)) throw new SaslAuthenticationError('Authentication failed: Invalid username or password');
    if (authzid !== '' && authzid !== username) throw new SaslAuthenticationError('Authentication failed: Client requested an authorization id that is different from username');
    this.user = username;
    return Buffer.alloc(0);
  }

  principal(): KafkaPrincipal {
    if (this.user === null) throw new Error('SASL/PLAIN exchange not complete');
    return { type: 'User', name: this.user };
  }
}

export function equalSecrets(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
