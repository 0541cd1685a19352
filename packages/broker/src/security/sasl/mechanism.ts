/**
 * The server side of one SASL exchange. A mechanism takes the client's tokens one at a time
 * and answers each; when `complete` it names the authenticated principal. Failures throw
 * SaslAuthenticationError, whose message the client sees (Kafka's wording).
 */
import type { KafkaPrincipal } from '../principal.js';

export class SaslAuthenticationError extends Error {
  override readonly name = 'SaslAuthenticationError';
}

export interface SaslServer {
  readonly mechanism: string;
  /** Answers one client token; throws SaslAuthenticationError on bad credentials. */
  evaluate(token: Buffer): Buffer | Promise<Buffer>;
  readonly complete: boolean;
  /** The authenticated principal (only once complete). */
  principal(): KafkaPrincipal;
  /** When the credential stops being valid (OAUTHBEARER token exp), ms since the epoch; null = never. */
  readonly credentialExpiresAtMs: number | null;
}

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];
export const SUPPORTED_MECHANISMS = ['PLAIN', ...SCRAM_MECHANISMS, 'OAUTHBEARER'];
