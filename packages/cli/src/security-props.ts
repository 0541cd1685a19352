/**
 * Kafka client security properties (security.protocol, ssl.*, sasl.mechanism, sasl.jaas.config)
 * → @samsa/client's `ssl` and `sasl` options, for --command-config and friends. PEM and
 * PKCS12 stores as the broker reads them; JKS has no Node reader and is refused with a hint.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { SaslMechanism, SaslOptions } from '@samsa/client';
import { parseJaasConfig } from '@samsa/protocol/sasl';
import { ToolError } from './tool.js';

export const SECURITY_KEYS = [
  'security.protocol', 'sasl.mechanism', 'sasl.jaas.config', 'ssl.truststore.location', 'ssl.truststore.type', 'ssl.truststore.password',
  'ssl.truststore.certificates', 'ssl.keystore.location', 'ssl.keystore.type', 'ssl.keystore.password', 'ssl.key.password',
  'ssl.keystore.key', 'ssl.keystore.certificate.chain', 'ssl.endpoint.identification.algorithm', 'ssl.protocol', 'ssl.enabled.protocols',
];

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ToolError(`Failed to load ${key} ${path}: ${(e as Error).message}`);
  }
}

function tlsOptions(props: ReadonlyMap<string, string>): TlsOptions {
  const o: TlsOptions = {};
  const inlineTrust = props.get('ssl.truststore.certificates');
  const trust = props.get('ssl.truststore.location');
  if (inlineTrust !== undefined) o.ca = inlineTrust;
  else if (trust !== undefined) {
    const type = (props.get('ssl.truststore.type') ?? 'JKS').toUpperCase();
    const data = read('ssl.truststore.location', trust);
    if (!data.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new ToolError(`ssl.truststore.type ${type} is not supported by the Samsa tools; use a PEM truststore (ssl.truststore.type=PEM)`);
    o.ca = data.toString('utf8');
  }
  const keyPassword = props.get('ssl.key.password') ?? props.get('ssl.keystore.password');
  const inlineKey = props.get('ssl.keystore.key');
  const ks = props.get('ssl.keystore.location');
  if (inlineKey !== undefined) {
    o.key = inlineKey;
    o.cert = props.get('ssl.keystore.certificate.chain');
    if (keyPassword !== undefined) o.passphrase = keyPassword;
  } else if (ks !== undefined) {
    const type = (props.get('ssl.keystore.type') ?? 'JKS').toUpperCase();
    if (type === 'PKCS12') {
      o.pfx = read('ssl.keystore.location', ks);
      const pw = props.get('ssl.keystore.password');
      if (pw !== undefined) o.passphrase = pw;
    } else if (type === 'PEM') {
      const pem = read('ssl.keystore.location', ks).toString('utf8');
      o.key = pem;
      o.cert = pem;
      if (keyPassword !== undefined) o.passphrase = keyPassword;
    } else {
      throw new ToolError(`ssl.keystore.type ${type} is not supported by the Samsa tools; use PKCS12 or PEM`);
    }
  }
  // Kafka's clients check the host name unless this is set to the empty string.
  if (props.get('ssl.endpoint.identification.algorithm') === '') o.checkServerIdentity = () => undefined;
  return o;
}

function saslOptions(props: ReadonlyMap<string, string>): SaslOptions {
  const mechanism = (props.get('sasl.mechanism') ?? 'GSSAPI').toUpperCase();
  if (!['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'].includes(mechanism)) {
    throw new ToolError(`sasl.mechanism ${mechanism} is not supported by the Samsa tools (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER)`);
  }
  const jaas = props.get('sasl.jaas.config');
  if (jaas === undefined) throw new ToolError(`sasl.jaas.config must be set for SASL mechanism ${mechanism}`);
  let options: Map<string, string>;
  try {
    options = parseJaasConfig(jaas)[0]?.options ?? new Map();
  } catch (e) {
    throw new ToolError(`Invalid sasl.jaas.config: ${(e as Error).message}`);
  }
  if (mechanism === 'OAUTHBEARER') {
    // OAuthBearerLoginModule's unsecured login: unsecuredLoginStringClaim_sub names the principal.
    const sub = options.get('unsecuredLoginStringClaim_sub');
    if (sub === undefined) throw new ToolError('OAUTHBEARER in the Samsa tools needs unsecuredLoginStringClaim_sub in sasl.jaas.config (unsecured tokens)');
    const lifetimeS = Number(options.get('unsecuredLoginLifetimeSeconds') ?? 3600);
    return { mechanism: 'OAUTHBEARER', token: () => unsecuredToken(sub, lifetimeS) };
  }
  const username = options.get('username');
  const password = options.get('password');
  if (username === undefined || password === undefined) throw new ToolError(`sasl.jaas.config for ${mechanism} needs username and password`);
  return { mechanism: mechanism as SaslMechanism, username, password };
}

/** Kafka's unsecured JWS (alg none), as OAuthBearerUnsecuredLoginCallbackHandler makes it. */
export function unsecuredToken(sub: string, lifetimeSeconds: number): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none' })}.${enc({ sub, iat, exp: iat + lifetimeSeconds })}.`;
}

/** The client's ssl/sasl options for the properties (nothing for PLAINTEXT). */
export function securityOptions(props: ReadonlyMap<string, string>): { ssl?: TlsOptions; sasl?: SaslOptions } {
  const protocol = (props.get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw new ToolError(`Invalid value ${props.get('security.protocol')} for configuration security.protocol: String must be one of: ${PROTOCOLS.join(', ')}`);
  const out: { ssl?: TlsOptions; sasl?: SaslOptions } = {};
  if (protocol.endsWith('SSL')) out.ssl = tlsOptions(props);
  if (protocol.startsWith('SASL')) out.sasl = saslOptions(props);
  return out;
}
