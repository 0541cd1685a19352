/**
 * The broker's security parts: one authenticator per listener, the ACL authorizer (when
 * authorizer.class.name names one), client entity configs (SCRAM credentials, quotas) and
 * the quota manager. Built at start from the broker config and the metadata store.
 */
import type { BrokerConfig, Listener } from '../config/broker-config.js';
import { ConfigException } from '../config/config-def.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Connection } from '../server/connection.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { AclAuthorizer, AUTHORIZER_CLASS_NAMES } from './authorizer.js';
import { ListenerAuthenticator, SecuritySession } from './authenticator.js';
import { EntityConfigStore } from './entity-configs.js';
import { MutationQuota, QuotaManager } from './quotas.js';

export class BrokerSecurity {
  readonly entities: EntityConfigStore;
  readonly authorizer: AclAuthorizer | null;
  readonly quotas: QuotaManager;
  readonly mutations: MutationQuota;
  private readonly authenticators = new Map<string, ListenerAuthenticator>();

  constructor(private readonly config: BrokerConfig, store: MetadataStore, private readonly clock: Clock, private readonly log: Logger) {
    this.entities = new EntityConfigStore(store);
    const className = config.string('authorizer.class.name');
    if (className === '') this.authorizer = null;
    else if (AUTHORIZER_CLASS_NAMES.includes(className)) {
      const superUsers = (config.get('super.users') as string | null ?? '').split(';').map((s) => s.trim()).filter((s) => s !== '');
      this.authorizer = new AclAuthorizer(store, { superUsers, allowEveryoneIfNoAclFound: config.bool('allow.everyone.if.no.acl.found') });
    } else {
      throw new ConfigException(`Invalid value ${className} for configuration authorizer.class.name: Samsa provides ${AUTHORIZER_CLASS_NAMES.join(' and ')} (one ACL authorizer)`);
    }
    this.quotas = new QuotaManager(this.entities, clock, config.int('quota.window.size.seconds') * 1000, config.int('quota.window.num'));
    this.mutations = new MutationQuota(this.quotas, clock, config.int('quota.window.size.seconds') * config.int('quota.window.num'));
  }

  async load(): Promise<void> {
    await this.entities.load();
    this.quotas.refresh();
    await this.authorizer?.load();
  }

  close(): void {
    this.entities.close();
    this.authorizer?.close();
  }

  /** The authenticator of a listener (made once, at listener start, so config errors stop the broker). */
  authenticator(listener: Listener): ListenerAuthenticator {
    let a = this.authenticators.get(listener.name);
    if (a === undefined) {
      a = new ListenerAuthenticator(listener, this.config, this.entities, this.clock, this.log.child('org.apache.kafka.common.security.authenticator.SaslServerAuthenticator'));
      this.authenticators.set(listener.name, a);
    }
    return a;
  }

  /** The authenticator of a started listener, by name. */
  listenerAuthenticator(name: string): ListenerAuthenticator | undefined {
    return this.authenticators.get(name);
  }

  /** A connection's security session (ANONYMOUS and authenticated on a listener that has no authenticator). */
  session(conn: Connection): SecuritySession {
    const a = this.authenticators.get(conn.listenerName);
    return a !== undefined ? a.session(conn) : new SecuritySession(conn.socket.remoteAddress ?? '', 'PLAINTEXT');
  }
}
