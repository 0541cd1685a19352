/**
 * Kafka client security properties in --command-config and friends: the client's own mapping
 * (@samsa/client's security-properties), with its errors given as the tools report them.
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { ClientError, type SaslOptions, SECURITY_PROPERTY_NAMES, securityOptionsFromProperties } from '@samsa/client';
import { ToolError } from './tool.js';

export const SECURITY_KEYS = SECURITY_PROPERTY_NAMES;

/** The client's ssl/sasl options for the properties (nothing for PLAINTEXT). */
export function securityOptions(props: ReadonlyMap<string, string>): { ssl?: TlsOptions; sasl?: SaslOptions } {
  try {
    return securityOptionsFromProperties(props);
  } catch (e) {
    if (e instanceof ClientError) throw new ToolError(e.message);
    throw e;
  }
}
