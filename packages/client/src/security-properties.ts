/**
 * Kafka's client security properties → the client's `ssl` and `sasl` options, so a Java
 * (`security.protocol`, `ssl.truststore.location`, `sasl.jaas.config`...) or librdkafka
 * (`sasl.mechanisms`, `sasl.username`, `ssl.ca.location`...) config can be pasted as it is.
 * PEM and PKCS12 stores are read as the broker reads them; JKS has no Node reader and is refused
 * with what to use instead.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { parseJaasConfig } from '@samsa/protocol/sasl';
import { ClientError, ClientErrorCode } from './errors.js';
import type { SaslMechanism, SaslOptions } from '@samsa/network';

/** Every security property read here: Java's names first, then librdkafka's. */
export const SECURITY_PROPERTY_NAMES: readonly string[] = [
  'security.protocol', 'sasl.mechanism', 'sasl.jaas.config', 'ssl.truststore.location', 'ssl.truststore.type', 'ssl.truststore.password',
  'ssl.truststore.certificates', 'ssl.keystore.location', 'ssl.keystore.type', 'ssl.keystore.password', 'ssl.key.password',
  'ssl.keystore.key', 'ssl.keystore.certificate.chain', 'ssl.endpoint.identification.algorithm', 'ssl.protocol', 'ssl.enabled.protocols',
  'sasl.mechanisms', 'sasl.username', 'sasl.password', 'sasl.oauthbearer.config', 'ssl.ca.location', 'ssl.ca.pem',
  'ssl.certificate.location', 'ssl.certificate.pem', 'ssl.key.location', 'ssl.key.pem', 'enable.ssl.certificate.verification',
];

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'];

function configError(message: string): ClientError {
  return new ClientError(ClientErrorCode.CONFIG, message);
}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw configError(`Failed to load ${key} ${path}: ${(e as Error).message}`);
  }
}

function tlsOptions(props: ReadonlyMap<string, string>): TlsOptions {
  const o: TlsOptions = {};
  const inlineTrust = props.get('ssl.truststore.certificates') ?? props.get('ssl.ca.pem');
  const trust = props.get('ssl.truststore.location') ?? props.get('ssl.ca.location');
  if (inlineTrust !== undefined) o.ca = inlineTrust;
  else if (trust !== undefined) {
    const type = (props.get('ssl.truststore.type') ?? 'JKS').toUpperCase();
    const data = read(props.has('ssl.truststore.location') ? 'ssl.truststore.location' : 'ssl.ca.location', trust);
    if (!data.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw configError(`ssl.truststore.type ${type} is not supported; use a PEM truststore (ssl.truststore.type=PEM)`);
    o.ca = data.toString('utf8');
  }
  const keyPassword = props.get('ssl.key.password') ?? props.get('ssl.keystore.password');
  const inlineKey = props.get('ssl.keystore.key') ?? props.get('ssl.key.pem');
  const ks = props.get('ssl.keystore.location');
  const certFile = props.get('ssl.certificate.location');
  const keyFile = props.get('ssl.key.location');
  if (inlineKey !== undefined) {
    o.key = inlineKey;
    o.cert = props.get('ssl.keystore.certificate.chain') ?? props.get('ssl.certificate.pem');
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
    } else {
      throw configError(`ssl.keystore.type ${type} is not supported; use PKCS12 or PEM`);
    }
  } else if (keyFile !== undefined || certFile !== undefined) {
    if (keyFile === undefined || certFile === undefined) throw configError('ssl.certificate.location and ssl.key.location must be given together');
    o.key = read('ssl.key.location', keyFile).toString('utf8');
    o.cert = read('ssl.certificate.location', certFile).toString('utf8');
  }
  if (o.passphrase === undefined && keyPassword !== undefined && o.key !== undefined) o.passphrase = keyPassword;
  // Kafka's clients check the broker's host name unless this is the empty string (librdkafka: "none").
  const identification = props.get('ssl.endpoint.identification.algorithm');
  if (identification === '' || identification?.toLowerCase() === 'none') o.checkServerIdentity = () => undefined;
  if (props.get('enable.ssl.certificate.verification') === 'false') o.rejectUnauthorized = false;
  return o;
}

function saslOptions(props: ReadonlyMap<string, string>): SaslOptions {
  // Java's default mechanism is GSSAPI (Kerberos), which Samsa does not speak.
  const mechanism = (props.get('sasl.mechanism') ?? props.get('sasl.mechanisms') ?? 'GSSAPI').toUpperCase();
  if (!MECHANISMS.includes(mechanism)) throw configError(`sasl.mechanism ${mechanism} is not supported (${MECHANISMS.join(', ')})`);
  const jaas = props.get('sasl.jaas.config');
  let options = new Map<string, string>();
  if (jaas !== undefined) {
    try {
      options = parseJaasConfig(jaas)[0]?.options ?? new Map();
    } catch (e) {
      throw configError(`Invalid sasl.jaas.config: ${(e as Error).message}`);
    }
  }
  if (mechanism === 'OAUTHBEARER') {
    // OAuthBearerLoginModule's unsecured login (unsecuredLoginStringClaim_sub), or librdkafka's
    // sasl.oauthbearer.config "principal=alice": both make an unsecured JWS for that subject.
    const rdkafka = new Map((props.get('sasl.oauthbearer.config') ?? '').split(/\s+/).filter((p) => p.includes('=')).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
    const sub = options.get('unsecuredLoginStringClaim_sub') ?? rdkafka.get('principal');
    if (sub === undefined) throw configError('OAUTHBEARER from properties needs unsecuredLoginStringClaim_sub in sasl.jaas.config or principal= in sasl.oauthbearer.config (unsecured tokens); give the sasl option a token function for real ones');
    const lifetimeS = Number(options.get('unsecuredLoginLifetimeSeconds') ?? rdkafka.get('lifeSeconds') ?? 3600);
    return { mechanism: 'OAUTHBEARER', token: () => unsecuredToken(sub, lifetimeS) };
  }
  const username = options.get('username') ?? props.get('sasl.username');
  const password = options.get('password') ?? props.get('sasl.password');
  if (username === undefined || password === undefined) throw configError(`SASL ${mechanism} needs a username and password (sasl.jaas.config, or sasl.username and sasl.password)`);
  return { mechanism: mechanism as SaslMechanism, username, password };
}

/** Kafka's unsecured JWS (alg none), as OAuthBearerUnsecuredLoginCallbackHandler makes it. */
export function unsecuredToken(sub: string, lifetimeSeconds: number): string {
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none' })}.${enc({ sub, iat, exp: iat + lifetimeSeconds })}.`;
}

/** The `ssl`/`sasl` options the properties give (none for PLAINTEXT, Kafka's default). */
export function securityOptionsFromProperties(props: ReadonlyMap<string, string>): { ssl?: TlsOptions; sasl?: SaslOptions } {
  const given = props.get('security.protocol');
  const protocol = (given ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw configError(`Invalid value ${given} for configuration security.protocol: String must be one of: ${PROTOCOLS.join(', ')}`);
  const out: { ssl?: TlsOptions; sasl?: SaslOptions } = {};
  if (protocol.endsWith('SSL')) out.ssl = tlsOptions(props);
  if (protocol.startsWith('SASL')) out.sasl = saslOptions(props);
  return out;
}
