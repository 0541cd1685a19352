/**
 * Per-listener security settings: Kafka reads `listener.name.<listener>.<key>` (listener in
 * lower case) before the plain `<key>`; SASL JAAS configs are per listener and mechanism
 * (`listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config`).
 */
import type { BrokerConfig } from '../config/broker-config.js';

export class ListenerConfig {
  private readonly prefix: string;

  constructor(private readonly config: BrokerConfig, readonly listenerName: string) {
    this.prefix = `listener.name.${listenerName.toLowerCase()}.`;
  }

  /** The listener's value of a key as text, else the broker-wide value, else null. */
  text(key: string): string | null {
    const own = this.config.effectiveOriginal(this.prefix + key);
    if (own !== undefined) return own;
    return this.config.text(key);
  }

  list(key: string): string[] {
    const v = this.text(key);
    return v === null ? [] : v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  }

  /** The JAAS config for a SASL mechanism on this listener (listener + mechanism prefix first). */
  jaasConfig(mechanism: string): string | null {
    return this.config.effectiveOriginal(`${this.prefix}${mechanism.toLowerCase()}.sasl.jaas.config`) ?? this.text('sasl.jaas.config');
  }
}
