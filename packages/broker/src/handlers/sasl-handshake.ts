/**
 * SaslHandshake (17). v0-v1. Picks the mechanism. v0: the tokens that follow are raw
 * size-prefixed frames (kafka-python); v1: they come in SaslAuthenticate requests. An
 * unsupported mechanism answers UNSUPPORTED_SASL_MECHANISM with the enabled list and closes.
 */
import { ApiKey, ErrorCode, type SaslHandshakeRequest, type SaslHandshakeResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';

export const saslHandshakeHandler: ApiHandler<SaslHandshakeRequest, SaslHandshakeResponse> = {
  apiKey: ApiKey.SaslHandshake,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req, version) {
    const security = ctx.broker.security;
    const listener = security?.listenerAuthenticator(ctx.listenerName);
    if (listener === undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    return listener.handshake(ctx.connection, req.mechanism, version);
  },
};
