/**
 * Authentication per listener: the security session of each connection (its principal and
 * SASL state), the gate that holds back every request but ApiVersions/SaslHandshake/
 * SaslAuthenticate until a SASL client has authenticated, Kafka's legacy unframed tokens
 * after a v0 handshake (kafka-python), and re-authentication (KIP-368): with
 * connections.max.reauth.ms or an expiring token, SaslAuthenticate v1+ tells the client the
 * session lifetime, and a connection whose session has expired is closed at its next request
 * that is not a re-authentication.
 */
import { TLSSocket } from 'node:tls';
import { ApiKey, ErrorCode, type SaslAuthenticateResponse, type SaslHandshakeResponse } from '@samsa/protocol';
import { parseJaasConfig } from '@samsa/protocol/sasl';
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import { ConfigException } from '../config/config-def.js';
import { CloseConnection, type Connection, type DispatchResult } from '../server/connection.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { EntityConfigStore } from './entity-configs.js';
import { ListenerConfig } from './listener-config.js';
import { SaslAuthenticationError, SCRAM_MECHANISMS, SUPPORTED_MECHANISMS, type SaslServer, type ScramMechanism } from './sasl/mechanism.js';
import { JwksKeys, OAuthBearerSaslServer } from './sasl/oauthbearer.js';
import { PlainSaslServer } from './sasl/plain.js';
import { parseScramCredential, ScramSaslServer } from './sasl/scram.js';
import { ANONYMOUS, distinguishedName, principalToString, SslPrincipalMapper, type KafkaPrincipal } from './principal.js';

export class SecuritySession {
  principal: KafkaPrincipal = ANONYMOUS;
  authenticated: boolean;
  /** The mechanism chosen by the handshake (kept for re-authentication). */
  mechanism: string | null = null;
  sasl: SaslServer | null = null;
  /** After a v0 handshake the tokens come as raw size-prefixed frames, not SaslAuthenticate requests. */
  legacyTokens = false;
  /** When the session expires (re-authentication due), ms since the epoch; null = never. */
  expiresAtMs: number | null = null;

  constructor(readonly host: string, readonly securityProtocol: string) {
    this.authenticated = !securityProtocol.startsWith('SASL');
  }
}

const PRE_AUTH_APIS: ReadonlySet<number> = new Set([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);

export class ListenerAuthenticator {
  readonly securityProtocol: string;
  readonly sasl: boolean;
  readonly enabledMechanisms: readonly string[];
  private readonly sessions = new WeakMap<Connection, SecuritySession>();
  private readonly config: ListenerConfig;
  private readonly principalMapper: SslPrincipalMapper;
  private readonly plainUsers = new Map<string, string>();
  private readonly reauthMs: number;
  private readonly maxReceiveSize: number;
  private readonly jwks: JwksKeys | null;

  constructor(listener: Listener, brokerConfig: BrokerConfig, private readonly entities: EntityConfigStore, private readonly clock: Clock, private readonly log: Logger) {
    this.securityProtocol = listener.securityProtocol;
    this.sasl = listener.securityProtocol === 'SASL_PLAINTEXT' || listener.securityProtocol === 'SASL_SSL';
    this.config = new ListenerConfig(brokerConfig, listener.name);
    this.principalMapper = new SslPrincipalMapper(this.config.text('ssl.principal.mapping.rules') ?? 'DEFAULT');
    this.enabledMechanisms = this.sasl ? this.config.list('sasl.enabled.mechanisms').map((m) => m.toUpperCase()) : [];
    for (const m of this.enabledMechanisms) {
      if (m === 'GSSAPI') throw new ConfigException(`listener ${listener.name}: SASL mechanism GSSAPI (Kerberos) is not supported; enable PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER (sasl.enabled.mechanisms)`);
      if (!SUPPORTED_MECHANISMS.includes(m)) throw new ConfigException(`listener ${listener.name}: unknown SASL mechanism ${m} in sasl.enabled.mechanisms`);
    }
    if (this.enabledMechanisms.includes('PLAIN')) this.loadPlainUsers(listener.name);
    this.reauthMs = Number(this.config.text('connections.max.reauth.ms') ?? '0');
    this.maxReceiveSize = Number(this.config.text('sasl.server.max.receive.size') ?? '524288');
    const jwksUrl = this.config.text('sasl.oauthbearer.jwks.endpoint.url');
    this.jwks = jwksUrl !== null && jwksUrl !== '' ? new JwksKeys(jwksUrl, () => clock.now()) : null;
  }

  private loadPlainUsers(listenerName: string): void {
    const jaas = this.config.jaasConfig('PLAIN');
    if (jaas === null) throw new ConfigException(`listener ${listenerName}: SASL/PLAIN needs listener.name.${listenerName.toLowerCase()}.plain.sasl.jaas.config with user_<name>="<password>" entries`);
    for (const m of parseJaasConfig(jaas)) {
      for (const [k, v] of m.options) if (k.startsWith('user_')) this.plainUsers.set(k.slice(5), v);
    }
  }

  /** The connection's session, created on first use (TLS principal from the client certificate). */
  session(conn: Connection): SecuritySession {
    let s = this.sessions.get(conn);
    if (s === undefined) {
      s = new SecuritySession(conn.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '', this.securityProtocol);
      if (this.securityProtocol === 'SSL' && conn.socket instanceof TLSSocket) {
        const cert = conn.socket.getPeerCertificate();
        if (cert !== null && cert.raw !== undefined) s.principal = { type: 'User', name: this.principalMapper.name(distinguishedName(cert.raw)) };
      }
      this.sessions.set(conn, s);
    }
    return s;
  }

  /**
   * Runs before routing. Returns a result when the frame is not a normal request (a legacy
   * SASL token), throws CloseConnection for requests the session may not send, and
   * undefined when the router should go on.
   */
  intercept(frame: Buffer, apiKey: number, conn: Connection): DispatchResult | Promise<DispatchResult> | undefined {
    if (!this.sasl) return undefined;
    const s = this.session(conn);
    // Before authentication a frame is bounded by sasl.server.max.receive.size, not socket.request.max.bytes.
    if (!s.authenticated && frame.length > this.maxReceiveSize) throw new CloseConnection(`SASL frame of ${frame.length} bytes exceeds sasl.server.max.receive.size (${this.maxReceiveSize})`);
    if (s.legacyTokens) return this.legacyToken(s, frame);
    if (!s.authenticated) {
      if (!PRE_AUTH_APIS.has(apiKey)) throw new CloseConnection(`Unexpected Kafka request of type ${ApiKey[apiKey] ?? apiKey} during SASL handshake.`);
      return undefined;
    }
    if (s.expiresAtMs !== null && this.clock.now() >= s.expiresAtMs && apiKey !== ApiKey.SaslHandshake && apiKey !== ApiKey.SaslAuthenticate) {
      throw new CloseConnection(`the session of ${principalToString(s.principal)} expired (re-authentication was due)`);
    }
    return undefined;
  }

  handshake(conn: Connection, mechanism: string, version: number): SaslHandshakeResponse {
    const s = this.session(conn);
    const mechanisms = [...this.enabledMechanisms];
    if (!this.sasl || (s.authenticated && s.mechanism === null)) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (s.sasl !== null && !s.sasl.complete) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (!this.enabledMechanisms.includes(mechanism)) {
      conn.closeGracefully();
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms };
    }
    if (s.authenticated && (version === 0 || mechanism !== s.mechanism)) {
      // KIP-368: re-authentication keeps the mechanism and needs SaslAuthenticate.
      conn.closeGracefully();
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    }
    s.mechanism = mechanism;
    s.sasl = this.newServer(mechanism);
    s.legacyTokens = version === 0;
    return { errorCode: ErrorCode.NONE, mechanisms };
  }

  async authenticate(conn: Connection, token: Buffer, version: number): Promise<SaslAuthenticateResponse> {
    const s = this.session(conn);
    const server = s.sasl;
    if (server === null || server.complete || s.legacyTokens) {
      conn.closeGracefully();
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'Unexpected SaslAuthenticate request without a handshake', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    try {
      const response = await server.evaluate(token);
      let sessionLifetimeMs = 0n;
      if (server.complete) {
        const lifetime = this.completeSession(s, server);
        // v0 clients cannot re-authenticate; their connections just close at expiry.
        if (lifetime !== null && version >= 1) sessionLifetimeMs = BigInt(lifetime);
      }
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: response, sessionLifetimeMs };
    } catch (e) {
      const message = e instanceof SaslAuthenticationError ? e.message : `Authentication failed: ${(e as Error).message}`;
      this.log.info(`Failed authentication with ${s.host} (${message})`);
      conn.closeGracefully();
      return { errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
  }

  /** Marks the session authenticated; returns the session lifetime in ms (null = unlimited). */
  private completeSession(s: SecuritySession, server: SaslServer): number | null {
    const principal = server.principal();
    if (s.authenticated && principalToString(principal) !== principalToString(s.principal)) {
      throw new SaslAuthenticationError(`Cannot change principals during re-authentication from ${principalToString(s.principal)}: ${principalToString(principal)}`);
    }
    s.principal = principal;
    s.authenticated = true;
    s.sasl = null;
    s.legacyTokens = false;
    const now = this.clock.now();
    let lifetime: number | null = this.reauthMs > 0 ? this.reauthMs : null;
    if (server.credentialExpiresAtMs !== null) lifetime = Math.max(0, Math.min(lifetime ?? Infinity, server.credentialExpiresAtMs - now));
    s.expiresAtMs = lifetime === null ? null : now + lifetime;
    return lifetime;
  }

  /** A raw token after a v0 handshake: answered with a bare size-prefixed token; failures close. */
  private async legacyToken(s: SecuritySession, frame: Buffer): Promise<DispatchResult> {
    const server = s.sasl!;
    let response: Buffer;
    try {
      response = await server.evaluate(frame);
      if (server.complete) this.completeSession(s, server);
    } catch (e) {
      this.log.info(`Failed authentication with ${s.host} (${(e as Error).message})`);
      throw new CloseConnection(`authentication failed: ${(e as Error).message}`);
    }
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(response.length, 0);
    return response.length === 0 ? [size] : [size, response];
  }

  private newServer(mechanism: string): SaslServer {
    if (mechanism === 'PLAIN') return new PlainSaslServer(this.plainUsers);
    if ((SCRAM_MECHANISMS as readonly string[]).includes(mechanism)) {
      return new ScramSaslServer(mechanism as ScramMechanism, (user) => {
        const text = this.entities.configs({ user, clientId: null }).get(mechanism);
        return text === undefined ? null : parseScramCredential(text);
      });
    }
    const jaasOptions = parseJaasConfig(this.config.jaasConfig('OAUTHBEARER') ?? '')[0]?.options ?? new Map<string, string>();
    return new OAuthBearerSaslServer({
      principalClaim: jaasOptions.get('unsecuredValidatorPrincipalClaimName') ?? this.config.text('sasl.oauthbearer.sub.claim.name') ?? 'sub',
      clockSkewMs: Number(jaasOptions.get('unsecuredValidatorAllowableClockSkewMs') ?? Number(this.config.text('sasl.oauthbearer.clock.skew.seconds') ?? '30') * 1000),
      jwks: this.jwks,
      expectedIssuer: this.config.text('sasl.oauthbearer.expected.issuer'),
      expectedAudience: this.config.list('sasl.oauthbearer.expected.audience'),
      now: () => this.clock.now(),
    });
  }
}
