/**
 * SaslAuthenticate (36). v0-v2. One SASL token each way; v1+ carries the session lifetime
 * (KIP-368 re-authentication). A failure answers SASL_AUTHENTICATION_FAILED with the reason
 * and closes the connection once the response is out, as Kafka does.
 */
import { ApiKey, ErrorCode, type SaslAuthenticateRequest, type SaslAuthenticateResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';

export const saslAuthenticateHandler: ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponse> = {
  apiKey: ApiKey.SaslAuthenticate,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req, version) {
    const listener = ctx.broker.security?.listenerAuthenticator(ctx.listenerName);
    if (listener === undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SASL is not enabled on this listener', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    return listener.authenticate(ctx.connection, req.authBytes, version);
  },
};
