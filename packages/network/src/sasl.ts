/**
 * Client side of SASL: the token exchanges of PLAIN, SCRAM-SHA-256/512 and OAUTHBEARER, as
 * step functions the connection drives over SaslAuthenticate requests (clients and brokers
 * talking to other brokers alike).
 */
import { randomBytes } from 'node:crypto';
import {
  clientKey, encodeSaslName, hmac, oauthBearerClientFirst, saltedPassword, scramAttributes, scramHash, serverKey, storedKey, xor,
} from '@samsa/protocol/sasl';
import { NetworkErrorCode, SamsaError } from './errors.js';

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER';

export interface SaslOptions {
  mechanism: SaslMechanism;
  username?: string;
  password?: string;
  /** OAUTHBEARER: the token (a JWT), or a function returning a fresh one for each (re-)authentication. */
  token?: string | (() => string | Promise<string>);
}

/** One exchange: give it the server's last answer (null at the start), get the next token or null when done. */
export interface SaslClient {
  next(serverToken: Buffer | null): Promise<Buffer | null>;
}

export function saslClient(opts: SaslOptions): SaslClient {
  switch (opts.mechanism) {
    case 'PLAIN': {
      const { username, password } = credentials(opts);
      let sent = false;
      return {
        async next() {
          if (sent) return null;
          sent = true;
          return Buffer.from(`\u0000${username}\u0000${password}`, 'utf8');
        },
      };
    }
    case 'SCRAM-SHA-256':
    case 'SCRAM-SHA-512':
      return scramClient(opts.mechanism, credentials(opts));
    case 'OAUTHBEARER': {
      let sent = false;
      return {
        async next(server) {
          if (sent) {
            // RFC 7628: an error challenge is acknowledged with \x01; the broker then fails the exchange.
            if (server !== null && server.length > 0) return Buffer.from([1]);
            return null;
          }
          sent = true;
          const t = typeof opts.token === 'function' ? await opts.token() : opts.token;
          if (t === undefined || t === '') throw new SamsaError(NetworkErrorCode.CONFIG, 'sasl OAUTHBEARER needs a token');
          return oauthBearerClientFirst(t);
        },
      };
    }
    default:
      throw new SamsaError(NetworkErrorCode.CONFIG, `unsupported SASL mechanism ${String((opts as SaslOptions).mechanism)}`);
  }
}

function credentials(opts: SaslOptions): { username: string; password: string } {
  if (opts.username === undefined || opts.password === undefined) throw new SamsaError(NetworkErrorCode.CONFIG, `sasl ${opts.mechanism} needs a username and a password`);
  return { username: opts.username, password: opts.password };
}

function scramClient(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', c: { username: string; password: string }): SaslClient {
  const hash = scramHash(mechanism);
  const nonce = randomBytes(24).toString('base64').replace(/[=,]/g, '');
  const clientFirstBare = `n=${encodeSaslName(c.username)},r=${nonce}`;
  let step = 0;
  let expectedServerSignature: Buffer | null = null;
  return {
    async next(server) {
      if (step === 0) {
        step = 1;
        return Buffer.from(`n,,${clientFirstBare}`, 'utf8');
      }
      if (step === 1) {
        step = 2;
        const serverFirst = server!.toString('utf8');
        const a = scramAttributes(serverFirst);
        const r = a.get('r') ?? '';
        if (!r.startsWith(nonce)) throw new SamsaError(NetworkErrorCode.CONNECTION, 'SCRAM: the server nonce does not extend ours');
        const salted = saltedPassword(hash, c.password, Buffer.from(a.get('s') ?? '', 'base64'), Number(a.get('i')));
        const withoutProof = `c=biws,r=${r}`;
        const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
        const proof = xor(clientKey(hash, salted), hmac(hash, storedKey(hash, salted), authMessage));
        expectedServerSignature = hmac(hash, serverKey(hash, salted), authMessage);
        return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
      }
      if (step === 2) {
        step = 3;
        const v = scramAttributes(server!.toString('utf8')).get('v');
        if (v === undefined || !Buffer.from(v, 'base64').equals(expectedServerSignature!)) throw new SamsaError(NetworkErrorCode.CONNECTION, 'SCRAM: invalid server signature');
      }
      return null;
    },
  };
}
