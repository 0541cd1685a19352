/**
 * ApiVersions (18). v0-v4. The response header is always v0 (handled by the router); an
 * unknown version gets a v0 UNSUPPORTED_VERSION answer from the router too (KIP-511).
 * v3+ carries the client's software name and version (KIP-511), kept on the connection.
 */
import { type ApiVersionsRequest, type ApiVersionsResponse } from '@samsa/protocol';
import type { ApiHandler } from './types.js';
export declare const apiVersionsHandler: ApiHandler<ApiVersionsRequest, ApiVersionsResponse>;
