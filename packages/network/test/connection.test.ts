import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiKey, apiByKey, apiByName, decodeRequestHeader, encodeResponseHeader, Reader, Writer, type RequestHeader } from '@samsa/protocol';
import { FrameDecoder } from '@samsa/protocol/framing';
import { ClosedError, Connection, ConnectionError, RequestTimeoutError, UnsupportedApiError, type ConnectionOptions } from '../src/index.js';

/**
 * A scripted peer on a real socket: decodes each request frame with the protocol codecs and
 * lets the test decide how (and whether) to answer it.
 */
type Responder = (header: RequestHeader, body: unknown, reply: (msg: unknown, version?: number) => void) => void;

async function startPeer(respond: Responder): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => decoder.push(chunk, (frame) => {
      const r = new Reader(frame, 0);
      const apiKey = frame.readInt16BE(0);
      const version = frame.readInt16BE(2);
      const api = apiByKey(apiKey)!;
      const header = decodeRequestHeader(r, api.requestHeaderVersion(version));
      const body = api.decodeRequest(r, version);
      respond(header, body, (msg, asVersion = version) => {
        const w = new Writer(64);
        w.int32(0);
        // ApiVersions answers always carry a v0 header (KIP-511).
        encodeResponseHeader(w, apiKey === ApiKey.ApiVersions ? 0 : api.responseHeaderVersion(asVersion), { correlationId: header.correlationId });
        api.encodeResponse(w, asVersion, msg);
        w.patchInt32(0, w.length - 4);
        for (const c of w.chunks()) socket.write(c);
      });
    }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr !== null ? addr.port : 0, sockets };
}

const apiVersionsOk = {
  errorCode: 0,
  apiKeys: [
    { apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 3 },
    { apiKey: ApiKey.Metadata, minVersion: 0, maxVersion: 9 },
    { apiKey: ApiKey.Fetch, minVersion: 4, maxVersion: 17 },
  ],
  throttleTimeMs: 0,
};

const options: ConnectionOptions = {
  clientId: 'network-test', requestTimeoutMs: 5000, connectTimeoutMs: 5000, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 50,
  maxVersions: new Map([[ApiKey.ApiVersions, 3], [ApiKey.Metadata, 12], [ApiKey.Fetch, 17], [ApiKey.Produce, 11]]),
  softwareName: 'samsa-network-test', softwareVersion: '0.1.0',
};

function metadataResponse(marker: number): unknown {
  return { throttleTimeMs: marker, brokers: [], clusterId: null, controllerId: -1, topics: [] };
}

describe('network Connection', () => {
  const held: Array<{ header: RequestHeader; reply: (msg: unknown) => void }> = [];
  let versionsAsked: number[] = [];
  let peer: Awaited<ReturnType<typeof startPeer>>;

  before(async () => {
    peer = await startPeer((header, body, reply) => {
      if (header.requestApiKey === ApiKey.ApiVersions) {
        versionsAsked.push(header.requestApiVersion);
        // KIP-511: refuse v3 once with a v0 UNSUPPORTED_VERSION answer listing our range.
        if (header.requestApiVersion === 3 && versionsAsked.length === 1) {
          reply({ errorCode: 35, apiKeys: [{ apiKey: ApiKey.ApiVersions, minVersion: 0, maxVersion: 2 }], throttleTimeMs: 0 }, 0);
          return;
        }
        reply(apiVersionsOk);
        return;
      }
      if (header.requestApiKey === ApiKey.Metadata) {
        const topics = (body as { topics: Array<{ name: string }> | null }).topics ?? [];
        if (topics[0]?.name === 'never') return; // never answered: the timeout case
        held.push({ header, reply });
        return;
      }
    });
  });
  after(() => {
    for (const s of peer.sockets) s.destroy();
    peer.server.close();
  });

  it('negotiates ApiVersions with a KIP-511 downgrade and picks min(own max, broker max)', async () => {
    versionsAsked = [];
    const conn = new Connection('127.0.0.1', peer.port, 1, options);
    await conn.connect();
    assert.deepEqual(versionsAsked, [3, 2]);
    assert.equal(conn.version(apiByName.Metadata), 9);
    assert.equal(conn.version(apiByName.Fetch), 17);
    assert.throws(() => conn.version(apiByName.Produce), UnsupportedApiError);
    assert.equal(conn.supports(ApiKey.Produce), false);
    conn.close();
  });

  it('pipelines requests and matches answers by correlation id, whatever their order', async () => {
    const conn = new Connection('127.0.0.1', peer.port, 1, options);
    await conn.connect();
    held.length = 0;
    const sent = [0, 1, 2].map((i) => conn.send(apiByName.Metadata, () => ({ topics: [{ name: `t${i}`, topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false })));
    await waitFor(() => held.length === 3);
    assert.equal(conn.inFlight, 3);
    // Answer in reverse order; each promise still gets its own answer.
    for (const h of [...held].reverse()) {
      const i = held.indexOf(h);
      h.reply(metadataResponse(100 + i));
    }
    const results = await Promise.all(sent);
    assert.deepEqual(results.map((r) => (r.response as { throttleTimeMs: number }).throttleTimeMs), [100, 101, 102]);
    conn.close();
  });

  it('times out an unanswered request, drops the connection and reconnects on the next send', async () => {
    const conn = new Connection('127.0.0.1', peer.port, 1, { ...options, requestTimeoutMs: 200 });
    await conn.connect();
    held.length = 0;
    const neverAnswered = conn.send(apiByName.Metadata, () => ({ topics: [{ name: 'never', topicId: '00000000-0000-0000-0000-000000000000' }], allowAutoTopicCreation: false }));
    await assert.rejects(neverAnswered, RequestTimeoutError);
    assert.equal(conn.connected, false);
    const again = conn.send(apiByName.Metadata, () => ({ topics: [], allowAutoTopicCreation: false }));
    await waitFor(() => held.length === 1);
    held[0]!.reply(metadataResponse(7));
    assert.equal(((await again).response as { throttleTimeMs: number }).throttleTimeMs, 7);
    conn.close();
  });

  it('fails in-flight requests retriably when the peer goes away, and for good once closed', async () => {
    const conn = new Connection('127.0.0.1', peer.port, 1, options);
    await conn.connect();
    held.length = 0;
    const inFlight = conn.send(apiByName.Metadata, () => ({ topics: [], allowAutoTopicCreation: false }));
    await waitFor(() => held.length === 1);
    for (const s of peer.sockets) s.destroy();
    const err = await inFlight.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ConnectionError && err.retriable, String(err));
    conn.close();
    await assert.rejects(conn.connect(), ClosedError);
  });

  it('reports a refused connection as a retriable ConnectionError', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const conn = new Connection('127.0.0.1', port, 1, options);
    const err = await conn.connect().then(() => null, (e: unknown) => e);
    assert.ok(err instanceof ConnectionError && err.retriable, String(err));
    conn.close();
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
