/**
 * SASL message formats and crypto shared by the broker (server side) and @samsa/client:
 * SCRAM (RFC 5802 / RFC 7677 as Kafka uses them) and OAUTHBEARER's client-first message
 * (RFC 7628). Pure functions over buffers, no I/O.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';

export type ScramHash = 'sha256' | 'sha512';

export function scramHash(mechanism: string): ScramHash {
  if (mechanism === 'SCRAM-SHA-256') return 'sha256';
  if (mechanism === 'SCRAM-SHA-512') return 'sha512';
  throw new Error(`not a SCRAM mechanism: ${mechanism}`);
}

/** Kafka's iteration bounds for SCRAM credentials (ScramMechanism.minIterations / maxIterations). */
export const SCRAM_MIN_ITERATIONS = 4096;
export const SCRAM_MAX_ITERATIONS = 16384;

export const saltedPassword = (hash: ScramHash, password: string, salt: Buffer, iterations: number): Buffer =>
  pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, hash === 'sha256' ? 32 : 64, hash);
export const hmac = (hash: ScramHash, key: Buffer, text: string | Buffer): Buffer => createHmac(hash, key).update(text).digest();
export const digest = (hash: ScramHash, data: Buffer): Buffer => createHash(hash).update(data).digest();
export const clientKey = (hash: ScramHash, salted: Buffer): Buffer => hmac(hash, salted, 'Client Key');
export const serverKey = (hash: ScramHash, salted: Buffer): Buffer => hmac(hash, salted, 'Server Key');
export const storedKey = (hash: ScramHash, salted: Buffer): Buffer => digest(hash, clientKey(hash, salted));

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** SCRAM attribute list `a=1,b=2` → map (values may contain '='). */
export function scramAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    if (part.length < 2 || part[1] !== '=') throw new Error(`Invalid SCRAM attribute "${part}"`);
    out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** saslname escaping (RFC 5802 §5.1): ',' and '=' in user names. */
export const encodeSaslName = (name: string): string => name.replace(/=/g, '=3D').replace(/,/g, '=2C');
export function decodeSaslName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new Error(`Invalid SCRAM user name ${name}`);
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** OAUTHBEARER client-first message: GS2 header, then `auth=Bearer <token>` and extensions, \x01-separated. */
export function oauthBearerClientFirst(token: string, extensions: Record<string, string> = {}): Buffer {
  let kv = `auth=Bearer ${token}\u0001`;
  for (const [k, v] of Object.entries(extensions)) kv += `${k}=${v}\u0001`;
  return Buffer.from(`n,,\u0001${kv}\u0001`, 'utf8');
}

/**
 * The JAAS configuration text Kafka takes in sasl.jaas.config (broker and clients):
 * `<LoginModule class> <flag> key="value" key2=value2;` (several modules may follow each other).
 */
export interface JaasModule {
  loginModule: string;
  flag: string;
  options: Map<string, string>;
}

export function parseJaasConfig(text: string): JaasModule[] {
  const modules: JaasModule[] = [];
  const token = /\s*("(?:\\.|[^"\\])*"|[^\s=;"]+|=|;)/y;
  const tokens: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    token.lastIndex = pos;
    const m = token.exec(text);
    if (m === null) {
      if (/^\s*$/.test(text.slice(pos))) break;
      throw new Error(`Invalid JAAS config near "${text.slice(pos, pos + 20)}"`);
    }
    tokens.push(m[1]!);
    pos = token.lastIndex;
  }
  let i = 0;
  const unquote = (s: string): string => (s.startsWith('"') ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s);
  while (i < tokens.length) {
    const loginModule = tokens[i++]!;
    const flag = tokens[i++];
    if (flag === undefined || !/^(required|requisite|sufficient|optional)$/i.test(flag)) throw new Error(`Invalid JAAS config: login module ${loginModule} needs a control flag (required, requisite, sufficient or optional)`);
    const options = new Map<string, string>();
    while (i < tokens.length && tokens[i] !== ';') {
      const key = tokens[i++]!;
      if (tokens[i++] !== '=' || i >= tokens.length) throw new Error(`Invalid JAAS config: option ${key} of ${loginModule} has no value`);
      options.set(key, unquote(tokens[i++]!));
    }
    if (tokens[i] !== ';') throw new Error(`Invalid JAAS config: login module ${loginModule} must end with ';'`);
    i++;
    modules.push({ loginModule, flag: flag.toLowerCase(), options });
  }
  return modules;
}
