/**
 * Routes request frames to handlers: peek the fixed header fields, check the version against
 * the handler list, decode the header and body with the generated codecs, run the handler,
 * encode and frame the response. Anything a client cannot be answered for (unknown API,
 * unsupported version, undecodable bytes) closes that client's connection, as Kafka does;
 * the only exception is ApiVersions, which answers an unknown version with v0 +
 * UNSUPPORTED_VERSION so the client can retry lower (KIP-511).
 */
import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import {
  ApiKey, ErrorCode, ProtocolDecodeError, ProtocolEncodeError, Reader, Writer, apis, decodeRequestHeader, encodeApiVersionsResponse,
  type ApiDescriptor, type ApiVersionsResponse, type RequestHeader,
} from '@samsa/protocol';
import { frameResponse } from '@samsa/protocol/framing';
import { NO_RESPONSE, type ApiHandler, type BrokerServices, type NoResponse, type RequestContext } from '../handlers/types.js';
import type { RequestGate } from '../security/request-gate.js';
import type { Logger } from '../util/log.js';
import { CloseConnection, type Connection, type Dispatcher, type DispatchResult } from './connection.js';
import { MAX_REQUEST_ELEMENTS, refuseOverLimit } from './request-limits.js';

/** Published once per completed request when someone subscribes (cheap otherwise). */
export const requestChannel = channel('samsa:request');

export interface RequestEvent {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  listenerName: string;
  connectionId: string;
  durationMs: number;
  /** false for acks=0 produce. */
  responded: boolean;
}

export class RequestRouter implements Dispatcher {
  private readonly byKey: Array<ApiHandler | undefined> = [];

  constructor(
    readonly handlers: readonly ApiHandler[],
    private readonly services: BrokerServices,
    private readonly listenerName: string,
    private readonly log: Logger,
    /** Authentication gate, channel muting and quota accounting (absent: none of them). */
    private readonly gate?: RequestGate,
  ) {
    for (const h of handlers) {
      if (this.byKey[h.apiKey] !== undefined) throw new Error(`two handlers for api key ${h.apiKey}`);
      this.byKey[h.apiKey] = h;
    }
  }

  dispatch(frame: Buffer, conn: Connection): DispatchResult | Promise<DispatchResult> {
    if (frame.length < 8) throw new CloseConnection(`request of ${frame.length} bytes is shorter than a request header`);
    const apiKey = frame.readInt16BE(0);
    const version = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const gate = this.gate;
    if (gate !== undefined) {
      const mutedMs = gate.muteDelayMs(conn);
      if (mutedMs > 0) return new Promise<void>((r) => setTimeout(r, mutedMs)).then(() => this.dispatch(frame, conn));
      const intercepted = gate.before(frame, apiKey, conn);
      if (intercepted !== undefined) return intercepted;
    }
    const handler = apiKey >= 0 ? this.byKey[apiKey] : undefined;
    const api = apiKey >= 0 ? (apis[apiKey] as ApiDescriptor | undefined) : undefined;
    if (handler === undefined || api === undefined) {
      throw new CloseConnection(`unsupported api key ${apiKey} (version ${version}, correlation id ${correlationId})`);
    }
    if (version > handler.maxVersion || version < (handler.minServedVersion ?? handler.minVersion)) {
      if (apiKey === ApiKey.ApiVersions && version > handler.maxVersion) return this.unsupportedApiVersions(correlationId);
      throw new CloseConnection(`unsupported version ${version} of ${api.name} (served ${handler.minServedVersion ?? handler.minVersion}-${handler.maxVersion})`);
    }
    const start = requestChannel.hasSubscribers ? performance.now() : 0;
    let header: RequestHeader;
    let request: unknown;
    try {
      const r = new Reader(frame);
      r.elementBudget = MAX_REQUEST_ELEMENTS;
      header = decodeRequestHeader(r, api.requestHeaderVersion(version));
      request = api.decodeRequest(r, version);
    } catch (e) {
      if (e instanceof ProtocolDecodeError) throw new CloseConnection(`cannot decode ${api.name} v${version} request: ${e.message}`);
      throw e;
    }
    if (conn.clientId === null && header.clientId !== undefined) conn.clientId = header.clientId;
    const refused = refuseOverLimit(apiKey, request, version, this.services);
    if (refused !== null) return this.respond(api, version, correlationId, refused, conn, start);
    const ctx: RequestContext = { broker: this.services, connection: conn, header, apiVersion: version, listenerName: this.listenerName };
    const accounting = gate !== undefined && gate.accounting;
    const handlerStart = accounting ? performance.now() : 0;
    const result = handler.handle(ctx, request, version);
    // Quotas count the handler's own time (not a long poll's wait) and the bytes moved.
    const handlerMs = accounting ? performance.now() - handlerStart : 0;
    if (result instanceof Promise) {
      return result.then((res) => {
        if (accounting) gate!.after(apiKey, conn, header.clientId ?? '', frame.length, handlerMs, res);
        return this.respond(api, version, correlationId, res, conn, start);
      });
    }
    if (accounting) gate!.after(apiKey, conn, header.clientId ?? '', frame.length, handlerMs, result);
    return this.respond(api, version, correlationId, result, conn, start);
  }

  private respond(api: ApiDescriptor, version: number, correlationId: number, res: unknown, conn: Connection, start: number): DispatchResult {
    let out: DispatchResult = null;
    if (res !== NO_RESPONSE) {
      let w = new Writer(256);
      try {
        api.encodeResponse(w, version, res);
      } catch (e) {
        // Error messages may quote what the client sent (names, replica lists) beyond the
        // int16 length of a non-flexible string: cut them and encode again.
        if (!(e instanceof ProtocolEncodeError) || !boundErrorMessages(res)) throw e;
        w = new Writer(256);
        api.encodeResponse(w, version, res);
      }
      // The api table already answers v0 for ApiVersions whatever the body version (COMPAT trap 1).
      out = frameResponse(correlationId, api.responseHeaderVersion(version), w.chunks());
    }
    if (requestChannel.hasSubscribers) {
      const ev: RequestEvent = {
        apiKey: api.apiKey, apiName: api.name, apiVersion: version, correlationId, clientId: conn.clientId,
        listenerName: this.listenerName, connectionId: conn.id, durationMs: start === 0 ? 0 : performance.now() - start,
        responded: res !== NO_RESPONSE,
      };
      requestChannel.publish(ev);
    }
    return out;
  }

  /** KIP-511: a v0 response with UNSUPPORTED_VERSION and every API we serve. */
  private unsupportedApiVersions(correlationId: number): DispatchResult {
    const body: ApiVersionsResponse = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: apiVersionsList(this.handlers) };
    const w = new Writer(512);
    encodeApiVersionsResponse(w, 0, body);
    return frameResponse(correlationId, 0, w.chunks());
  }
}

const MAX_ERROR_MESSAGE = 4096;

/** Cuts every errorMessage longer than 4,096 UTF-16 units (<= 12 KiB of UTF-8); true when one was cut. */
function boundErrorMessages(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return false;
  let cut = false;
  if (Array.isArray(value)) {
    for (const v of value) cut = boundErrorMessages(v) || cut;
    return cut;
  }
  const o = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (k === 'errorMessage' && typeof v === 'string' && v.length > MAX_ERROR_MESSAGE) {
      o[k] = `${v.slice(0, MAX_ERROR_MESSAGE - 3)}...`;
      cut = true;
    } else {
      cut = boundErrorMessages(v) || cut;
    }
  }
  return cut;
}

/** The ApiVersions entries, derived from the handler list so it never advertises what is not served. */
export function apiVersionsList(handlers: readonly ApiHandler[]): ApiVersionsResponse['apiKeys'] {
  return [...handlers]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

export type { NoResponse };
