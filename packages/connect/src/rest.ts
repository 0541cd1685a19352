/**
 * Kafka Connect's REST API (paths, status codes and JSON as Kafka's ConnectorsResource,
 * ConnectorPluginsResource and RootResource); errors are {"error_code": <status>, "message"}.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigException } from './api.js';
import { ConnectRestError, type Herder, NotLeaderError } from './herder.js';
import { COMMIT_ID, VERSION_STRING } from './version.js';

type Handler = (req: IncomingMessage, params: string[], query: URLSearchParams) => Promise<{ status: number; body?: unknown }>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

/** Request bodies as received, kept so a request can be forwarded to the leader unchanged. */
const rawBodies = new WeakMap<IncomingMessage, string>();

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  rawBodies.set(req, text);
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConnectRestError(400, `Cannot deserialize request body: ${(err as Error).message}`);
  }
}

/** A JSON object of connector config values, as strings (Kafka's Map<String, String>). */
function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConnectRestError(400, `${what} must be a JSON object`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    out[k] = typeof x === 'string' ? x : typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  return out;
}

export class RestServer {
  private server: Server | null = null;
  private readonly routes: Route[] = [];

  constructor(private readonly herder: Herder) {
    const h = herder;
    const name = '([^/]+)';
    this.route('GET', '/', async () => ({ status: 200, body: { version: VERSION_STRING, commit: COMMIT_ID, kafka_cluster_id: h.kafkaClusterId } }));
    this.route('GET', '/connectors', async (_req, _p, q) => {
      const names = h.connectors();
      const expand = q.getAll('expand');
      if (expand.length === 0) return { status: 200, body: names };
      const out: Record<string, Record<string, unknown>> = {};
      for (const n of names) {
        out[n] = {};
        if (expand.includes('status')) out[n].status = h.connectorStatus(n);
        if (expand.includes('info')) out[n].info = h.connectorInfo(n);
      }
      return { status: 200, body: out };
    });
    this.route('POST', '/connectors', async (req) => {
      const body = (await readJson(req)) as { name?: unknown; config?: unknown } | null;
      if (body === null || typeof body !== 'object') throw new ConnectRestError(400, 'Request body must be a JSON object with "name" and "config"');
      const config = stringMap(body.config ?? {}, 'config');
      const n = typeof body.name === 'string' ? body.name : config.name;
      if (n === undefined || n.trim() === '') throw new ConnectRestError(400, 'Connector name is missing');
      const { info } = await h.putConnectorConfig(n.trim(), config, false);
      return { status: 201, body: info };
    });
    this.route('GET', `/connectors/${name}`, async (_r, [n]) => ({ status: 200, body: h.connectorInfo(n!) }));
    this.route('GET', `/connectors/${name}/config`, async (_r, [n]) => ({ status: 200, body: h.connectorConfig(n!) }));
    this.route('PUT', `/connectors/${name}/config`, async (req, [n]) => {
      const { created, info } = await h.putConnectorConfig(n!, stringMap(await readJson(req), 'config'), true);
      return { status: created ? 201 : 200, body: info };
    });
    this.route('GET', `/connectors/${name}/status`, async (_r, [n]) => ({ status: 200, body: h.connectorStatus(n!) }));
    this.route('POST', `/connectors/${name}/restart`, async (_r, [n], q) => {
      const includeTasks = q.get('includeTasks') === 'true';
      const onlyFailed = q.get('onlyFailed') === 'true';
      if (!includeTasks && !onlyFailed) {
        await h.restartConnector(n!);
        return { status: 204 };
      }
      const st = h.connectorStatus(n!);
      if (!onlyFailed || st.connector.state === 'FAILED') await h.restartConnector(n!);
      if (includeTasks) for (const t of st.tasks) if (!onlyFailed || t.state === 'FAILED') await h.restartTask({ connector: n!, task: t.id });
      return { status: 202, body: h.connectorStatus(n!) };
    });
    this.route('PUT', `/connectors/${name}/pause`, async (_r, [n]) => {
      await h.setTargetState(n!, 'PAUSED');
      return { status: 202 };
    });
    this.route('PUT', `/connectors/${name}/resume`, async (_r, [n]) => {
      await h.setTargetState(n!, 'STARTED');
      return { status: 202 };
    });
    this.route('PUT', `/connectors/${name}/stop`, async (_r, [n]) => {
      await h.setTargetState(n!, 'STOPPED');
      return { status: 204 };
    });
    this.route('GET', `/connectors/${name}/topics`, async (_r, [n]) => {
      if (!h.connectors().includes(n!)) throw new ConnectRestError(404, `Connector ${n} not found`);
      if (!h.config.topicTrackingEnable) throw new ConnectRestError(403, 'Topic tracking is disabled.');
      return { status: 200, body: { [n!]: { topics: [...(h.status.topics.get(n!)?.keys() ?? [])].sort() } } };
    });
    this.route('PUT', `/connectors/${name}/topics/reset`, async (_r, [n]) => {
      if (!h.connectors().includes(n!)) throw new ConnectRestError(404, `Connector ${n} not found`);
      if (!h.config.topicTrackingEnable) throw new ConnectRestError(403, 'Topic tracking is disabled.');
      if (!h.config.topicTrackingAllowReset) throw new ConnectRestError(403, 'Topic tracking reset is disabled.');
      h.status.resetTopics(n!);
      return { status: 202 };
    });
    this.route('GET', `/connectors/${name}/offsets`, async (_r, [n]) => ({ status: 200, body: await h.connectorOffsets(n!) }));
    this.route('GET', `/connectors/${name}/tasks`, async (_r, [n]) => ({ status: 200, body: h.taskConfigs(n!) }));
    this.route('GET', `/connectors/${name}/tasks/(\\d+)/status`, async (_r, [n, t]) => ({ status: 200, body: h.taskStatus({ connector: n!, task: Number(t) }) }));
    this.route('POST', `/connectors/${name}/tasks/(\\d+)/restart`, async (_r, [n, t]) => {
      await h.restartTask({ connector: n!, task: Number(t) });
      return { status: 204 };
    });
    this.route('DELETE', `/connectors/${name}`, async (_r, [n]) => {
      await h.deleteConnector(n!);
      return { status: 204 };
    });
    this.route('GET', '/connector-plugins', async (_r, _p, q) => {
      const connectorsOnly = q.get('connectorsOnly') !== 'false';
      const list = h.plugins.list(connectorsOnly ? ['source', 'sink'] : undefined);
      return { status: 200, body: list.map((d) => ({ class: d.className, type: d.type, version: d.version })) };
    });
    this.route('PUT', '/connector-plugins/([^/]+)/config/validate', async (req, [type]) => {
      const config = stringMap(await readJson(req), 'config');
      const cls = config['connector.class'];
      if (cls === undefined) throw new ConnectRestError(400, 'Connector config {} contains no connector type'.replace('{}', JSON.stringify(config)));
      const simple = (s: string): string => s.slice(s.lastIndexOf('.') + 1);
      const t = type!;
      const known = h.plugins.knownConnector(cls)?.className ?? cls;
      if (t !== cls && t !== known && simple(t) !== simple(known) && simple(known).replace(/Connector$/, '') !== t) {
        throw new ConnectRestError(400, `Included connector type ${cls} does not match request type ${t}`);
      }
      return { status: 200, body: await h.validate(config) };
    });
  }

  private route(method: string, path: string, handler: Handler): void {
    this.routes.push({ method, pattern: new RegExp(`^${path === '/' ? '/?' : `${path}/?`}$`), handler });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let status = 404;
    let body: unknown = { error_code: 404, message: 'HTTP 404 Not Found' };
    try {
      const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
      const route = matching.find((r) => r.method === req.method);
      if (route === undefined && matching.length > 0) {
        status = 405;
        body = { error_code: 405, message: 'HTTP 405 Method Not Allowed' };
      } else if (route !== undefined) {
        const params = route.pattern.exec(url.pathname)!.slice(1).map((p) => decodeURIComponent(p));
        const out = await route.handler(req, params, url.searchParams);
        status = out.status;
        body = out.body;
      }
    } catch (err) {
      if (err instanceof NotLeaderError) {
        try {
          ({ status, body } = await this.forwardToLeader(req, url, err));
        } catch (forwardErr) {
          status = forwardErr instanceof ConnectRestError ? forwardErr.status : 500;
          body = { error_code: status, message: (forwardErr as Error).message };
        }
        return this.reply(res, status, body);
      }
      if (err instanceof ConnectRestError) status = err.status;
      else if (err instanceof ConfigException) status = 400;
      else {
        status = 500;
        console.error(`Uncaught exception in REST call to ${url.pathname}: ${(err as Error).stack ?? String(err)}`);
      }
      body = { error_code: status, message: (err as Error).message };
    }
    this.reply(res, status, body);
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, body === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  /**
   * As Kafka's HerderRequestHandler: a user's request (no `forward` parameter) may be forwarded
   * and forwarded again (`forward=true`), a request forwarded once more (`forward=false`) is not,
   * so two workers that disagree about the leader cannot bounce it forever.
   */
  private async forwardToLeader(req: IncomingMessage, url: URL, err: NotLeaderError): Promise<{ status: number; body: unknown }> {
    const forward = url.searchParams.get('forward');
    if (forward !== null && forward !== 'true') throw new ConnectRestError(409, 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)');
    if (err.leaderUrl === null) throw new ConnectRestError(409, 'Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway.');
    const target = new URL(url.pathname.replace(/^\//, ''), err.leaderUrl.endsWith('/') ? err.leaderUrl : `${err.leaderUrl}/`);
    for (const [k, v] of url.searchParams) if (k !== 'forward') target.searchParams.append(k, v);
    target.searchParams.set('forward', String(forward === null));
    console.log(`Forwarding ${req.method} ${url.pathname} to the leader at ${target.origin}`);
    const raw = rawBodies.get(req);
    const res = await fetch(target, { method: req.method, headers: raw === undefined ? {} : { 'Content-Type': 'application/json' }, body: raw, signal: AbortSignal.timeout(90000) });
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = { error_code: res.status, message: text };
    }
    return { status: res.status, body };
  }

  async start(host: string, port: number): Promise<{ host: string; port: number }> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host === '' ? undefined : host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
