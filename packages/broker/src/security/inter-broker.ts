/**
 * The client side of this broker's connections to other brokers (follower fetchers,
 * transaction markers), as Kafka builds it: the peer's advertised endpoint for the
 * inter-broker listener, TLS from that listener's own ssl.* settings (its keystore is the
 * client certificate for mTLS, its truststore verifies the peer, host names checked unless
 * ssl.endpoint.identification.algorithm is empty), SASL with sasl.mechanism.inter.broker.protocol
 * and the broker's own credentials from the listener's JAAS config (username/password of the
 * PLAIN or SCRAM login module; an unsecured token for OAUTHBEARER). Built at startup, so a
 * missing credential or unreadable keystore stops the broker instead of failing every fetch.
 */
import { createSecureContext, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { Connection, type ConnectionOptions, type SaslMechanism, type SaslOptions } from '@samsa/network';
import { parseJaasConfig } from '@samsa/protocol/sasl';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigException } from '../config/config-def.js';
import type { BrokerImage } from '../metadata/image.js';
import { ListenerConfig } from './listener-config.js';
import { SUPPORTED_MECHANISMS } from './sasl/mechanism.js';
import { secureContextOptions, tlsServerOptions } from './tls.js';

export interface InterBrokerConnectionOptions {
  clientId: string;
  requestTimeoutMs: number;
  maxVersions: ReadonlyMap<number, number>;
  minVersions?: ReadonlyMap<number, number>;
}

export class InterBrokerChannel {
  readonly listenerName: string;
  readonly securityProtocol: string;
  private ssl: TlsConnectionOptions | undefined;
  private readonly sasl: SaslOptions | undefined;
  private readonly listenerConfig: ListenerConfig;

  constructor(config: BrokerConfig) {
    const { name, securityProtocol } = config.interBrokerListener;
    this.listenerName = name;
    this.securityProtocol = securityProtocol;
    const lc = new ListenerConfig(config, name);
    this.listenerConfig = lc;
    this.ssl = securityProtocol === 'SSL' || securityProtocol === 'SASL_SSL' ? tlsClientOptions(lc) : undefined;
    this.sasl = securityProtocol.startsWith('SASL') ? saslClientOptions(lc, config.string('sasl.mechanism.inter.broker.protocol').toUpperCase()) : undefined;
  }

  /** Re-reads the listener's key and trust stores (dynamic update): connections opened from now on use them. */
  reloadTls(): void {
    if (this.ssl !== undefined) this.ssl = tlsClientOptions(this.listenerConfig);
  }

  /** How other brokers are reached, for the startup log. */
  describe(): string {
    return `listener ${this.listenerName} (${this.securityProtocol}${this.sasl !== undefined ? `, SASL ${this.sasl.mechanism} as ${this.sasl.username ?? 'token'}` : ''})`;
  }

  /**
   * A peer's endpoint for the inter-broker listener. A registration without endpoints (written
   * by an old tool) has only its PLAINTEXT host/port.
   */
  endpointOf(b: BrokerImage): { host: string; port: number } | undefined {
    if (b.endpoints === undefined || b.endpoints.length === 0) return this.securityProtocol === 'PLAINTEXT' ? { host: b.host, port: b.port } : undefined;
    const e = b.endpoints.find((x) => x.listener === this.listenerName);
    return e === undefined ? undefined : { host: e.host, port: e.port };
  }

  /** A connection to another broker, secured as the inter-broker listener says. */
  connect(brokerId: number, endpoint: { host: string; port: number }, opts: InterBrokerConnectionOptions): Connection {
    const options: ConnectionOptions = {
      clientId: opts.clientId,
      requestTimeoutMs: opts.requestTimeoutMs,
      connectTimeoutMs: 10_000,
      reconnectBackoffMs: 50,
      reconnectBackoffMaxMs: 1000,
      maxVersions: opts.maxVersions,
      minVersions: opts.minVersions,
      softwareName: 'samsa-broker',
      softwareVersion: '0.1.0',
      ssl: this.ssl,
      sasl: this.sasl,
    };
    return new Connection(endpoint.host, endpoint.port, brokerId, options);
  }
}

/** Kafka's client TLS from the listener's settings: the keystore authenticates us (mTLS), the truststore the peer. */
function tlsClientOptions(lc: ListenerConfig): TlsConnectionOptions {
  const algorithm = (lc.text('ssl.endpoint.identification.algorithm') ?? '').trim();
  if (algorithm !== '' && algorithm.toLowerCase() !== 'https') {
    throw new ConfigException(`Invalid value ${algorithm} for configuration ssl.endpoint.identification.algorithm: use https (verify the broker's host name) or an empty value (do not)`);
  }
  return {
    ...secureContextOptions(lc),
    rejectUnauthorized: true,
    // Empty: the certificate must still chain to the truststore, only the name is not checked.
    ...(algorithm === '' ? { checkServerIdentity: () => undefined } : {}),
  };
}

function saslClientOptions(lc: ListenerConfig, mechanism: string): SaslOptions {
  const jaasKey = `listener.name.${lc.listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;
  if (mechanism === 'GSSAPI') throw new ConfigException('sasl.mechanism.inter.broker.protocol=GSSAPI: Kerberos is not supported; use PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER');
  if (!SUPPORTED_MECHANISMS.includes(mechanism)) throw new ConfigException(`Invalid value ${mechanism} for configuration sasl.mechanism.inter.broker.protocol: not a SASL mechanism Samsa knows (${SUPPORTED_MECHANISMS.join(', ')})`);
  const text = lc.jaasConfig(mechanism);
  const module = text === null ? undefined : parseJaasConfig(text)[0];
  if (module === undefined) {
    throw new ConfigException(`Inter-broker SASL/${mechanism} on listener ${lc.listenerName} needs the broker's own credentials: set ${jaasKey} (or sasl.jaas.config)`);
  }
  const o = module.options;
  if (mechanism === 'OAUTHBEARER') {
    if (!o.has('unsecuredLoginStringClaim_sub') && !o.has(`unsecuredLoginStringClaim_${o.get('unsecuredLoginPrincipalClaimName') ?? 'sub'}`)) {
      throw new ConfigException(`Inter-broker SASL/OAUTHBEARER on listener ${lc.listenerName}: ${jaasKey} must make an unsecured token (unsecuredLoginStringClaim_sub="<broker principal>"); fetching tokens from an OAuth server is not supported for inter-broker connections`);
    }
    return { mechanism: 'OAUTHBEARER', token: () => unsecuredLoginToken(o, Date.now()) };
  }
  const username = o.get('username');
  const password = o.get('password');
  if (username === undefined || password === undefined) {
    throw new ConfigException(`Inter-broker SASL/${mechanism} on listener ${lc.listenerName}: ${jaasKey} needs username="..." and password="..." (the broker's own user)`);
  }
  return { mechanism: mechanism as SaslMechanism, username, password };
}

/**
 * Kafka's OAuthBearerUnsecuredLoginCallbackHandler: an unsigned JWS (alg none) with the claims
 * of the JAAS options unsecuredLoginStringClaim_<name>, unsecuredLoginNumberClaim_<name> and
 * unsecuredLoginListClaim_<name> (first character is the separator), iat now and exp after
 * unsecuredLoginLifetimeSeconds (default 3600). A fresh one for every (re-)authentication.
 */
export function unsecuredLoginToken(options: ReadonlyMap<string, string>, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims: Record<string, unknown> = { iat, exp: iat + Number(options.get('unsecuredLoginLifetimeSeconds') ?? '3600') };
  for (const [k, v] of options) {
    const m = /^unsecuredLogin(String|Number|List)Claim_(.+)$/.exec(k);
    if (m === null) continue;
    claims[m[2]!] = m[1] === 'Number' ? Number(v) : m[1] === 'List' ? v.slice(1).split(v[0] ?? ',').filter((x) => x !== '') : v;
  }
  const enc = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none' })}.${enc(claims)}.`;
}

/** Keys whose dynamic update reloads TLS stores (plain or per listener). */
export function isTlsStoreKey(key: string): boolean {
  return /^(listener\.name\.[^.]+\.)?ssl\.(keystore|truststore)\.|^(listener\.name\.[^.]+\.)?ssl\.key\.password$/.test(key);
}

/**
 * Proves that a configuration's TLS stores load, for every SSL listener (server side) and the
 * inter-broker client, before a dynamic update is accepted: a bad path or password is refused
 * with the reason instead of breaking new connections later. Throws ConfigException.
 */
export function checkTlsStores(config: BrokerConfig): void {
  for (const l of config.listeners) {
    if (!l.securityProtocol.endsWith('SSL')) continue;
    try {
      createSecureContext(tlsServerOptions(new ListenerConfig(config, l.name)));
    } catch (e) {
      if (e instanceof ConfigException) throw e;
      throw new ConfigException(`listener ${l.name}: the new key or trust store does not load: ${(e as Error).message}`);
    }
  }
  new InterBrokerChannel(config);
}
