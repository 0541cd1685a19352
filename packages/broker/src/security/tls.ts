/**
 * TLS server settings from Kafka's ssl.* keys: PEM keystores (file or inline
 * ssl.keystore.key + ssl.keystore.certificate.chain), PKCS12 keystores (Node's pfx), PEM
 * truststores (file or inline ssl.truststore.certificates), ssl.client.auth for mTLS.
 * Java's JKS format has no reader in Node: it is refused with a message saying what to use.
 */
import { readFileSync } from 'node:fs';
import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { ConfigException } from '../config/config-def.js';
import type { ListenerConfig } from './listener-config.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

function pemBlocks(text: string, kind: 'cert' | 'key'): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    const isKey = m[1]!.includes('PRIVATE KEY');
    if ((kind === 'key') === isKey) out.push(m[0]);
  }
  return out;
}

const PROTOCOL_VERSIONS: Record<string, 'TLSv1.2' | 'TLSv1.3'> = { 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

function readFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ConfigException(`Failed to load SSL keystore/truststore ${path} (${key}): ${(e as Error).message}`);
  }
}

/** Secure context options for one side (keystore + truststore), shared by the server and tests. */
export function secureContextOptions(lc: ListenerConfig): SecureContextOptions {
  const opts: SecureContextOptions = {};
  const keyPassword = lc.text('ssl.key.password') ?? lc.text('ssl.keystore.password') ?? undefined;
  const inlineKey = lc.text('ssl.keystore.key');
  const inlineChain = lc.text('ssl.keystore.certificate.chain');
  const ksType = (lc.text('ssl.keystore.type') ?? 'JKS').toUpperCase();
  const ksLocation = lc.text('ssl.keystore.location');
  if (inlineKey !== null || inlineChain !== null) {
    if (inlineKey === null || inlineChain === null) throw new ConfigException('Both ssl.keystore.key and ssl.keystore.certificate.chain must be set for an inline PEM keystore');
    opts.key = [{ pem: inlineKey, ...(keyPassword !== undefined ? { passphrase: keyPassword } : {}) }];
    opts.cert = inlineChain;
  } else if (ksLocation !== null) {
    if (ksType === 'PEM') {
      const text = readFile('ssl.keystore.location', ksLocation).toString('utf8');
      const keys = pemBlocks(text, 'key');
      const certs = pemBlocks(text, 'cert');
      if (keys.length !== 1 || certs.length === 0) throw new ConfigException(`ssl.keystore.location ${ksLocation}: a PEM keystore holds one private key and its certificate chain`);
      opts.key = [{ pem: keys[0]!, ...(keyPassword !== undefined ? { passphrase: keyPassword } : {}) }];
      opts.cert = certs.join('\n');
    } else if (ksType === 'PKCS12') {
      const password = lc.text('ssl.keystore.password') ?? undefined;
      opts.pfx = [{ buf: readFile('ssl.keystore.location', ksLocation), ...(password !== undefined ? { passphrase: password } : {}) }];
    } else {
      throw new ConfigException(`ssl.keystore.type ${ksType} is not supported; use PKCS12 or PEM (convert a JKS keystore with keytool -importkeystore -deststoretype PKCS12)`);
    }
  }
  const inlineTrust = lc.text('ssl.truststore.certificates');
  const tsLocation = lc.text('ssl.truststore.location');
  const tsType = (lc.text('ssl.truststore.type') ?? 'JKS').toUpperCase();
  if (inlineTrust !== null) opts.ca = pemBlocks(inlineTrust, 'cert');
  else if (tsLocation !== null) {
    const data = readFile('ssl.truststore.location', tsLocation);
    const certs = pemBlocks(data.toString('latin1'), 'cert');
    // A PEM file is taken whatever ssl.truststore.type says; other formats need PEM.
    if (certs.length === 0) throw new ConfigException(`ssl.truststore.location ${tsLocation}: truststore type ${tsType} is not supported; use a PEM truststore (ssl.truststore.type=PEM)`);
    opts.ca = certs;
  }
  const protocols = lc.list('ssl.enabled.protocols').map((p) => PROTOCOL_VERSIONS[p]).filter((p) => p !== undefined);
  if (protocols.length > 0) {
    opts.minVersion = protocols.includes('TLSv1.2') ? 'TLSv1.2' : 'TLSv1.3';
    opts.maxVersion = protocols.includes('TLSv1.3') ? 'TLSv1.3' : 'TLSv1.2';
  }
  const ciphers = lc.list('ssl.cipher.suites');
  if (ciphers.length > 0) opts.ciphers = ciphers.join(':');
  return opts;
}

/** tls.createServer options for an SSL or SASL_SSL listener. */
export function tlsServerOptions(lc: ListenerConfig): TlsOptions {
  const ctx = secureContextOptions(lc);
  if (ctx.key === undefined && ctx.pfx === undefined) {
    throw new ConfigException(`listener ${lc.listenerName}: an SSL listener needs a keystore (ssl.keystore.location or ssl.keystore.key + ssl.keystore.certificate.chain)`);
  }
  const clientAuth = (lc.text('ssl.client.auth') ?? 'none').toLowerCase();
  if (!['none', 'requested', 'required'].includes(clientAuth)) throw new ConfigException(`Invalid value ${clientAuth} for configuration ssl.client.auth: String must be one of: required, requested, none`);
  return {
    ...ctx,
    requestCert: clientAuth !== 'none',
    // "requested" accepts a missing certificate but never an untrusted one (checked on connect).
    rejectUnauthorized: clientAuth === 'required',
  };
}
