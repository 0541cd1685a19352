/**
 * The connect-standalone / connect-distributed commands: `connect-standalone
 * worker.properties [connector1.properties connector2.json ...]`, `connect-distributed
 * worker.properties`. Prints Kafka's "REST server listening at ..." line once the REST API is up
 * and "Kafka Connect started" once the connectors given on the command line were submitted.
 */
import { readFileSync } from 'node:fs';
import { ConfigException } from './api.js';
import { DistributedHerder } from './distributed.js';
import type { Herder } from './herder.js';
import { Plugins } from './plugins.js';
import { loadProperties } from './properties.js';
import { RestServer } from './rest.js';
import { StandaloneHerder } from './standalone.js';
import { advertisedHost, parseWorkerConfig, type WorkerMode } from './worker-config.js';

export interface RunningConnect {
  herder: Herder;
  rest: RestServer;
  url: string;
  stop(): Promise<void>;
}

/** A connector config file: .properties, or JSON ({"name", "config"} or a flat object). */
export function loadConnectorConfig(path: string): { name: string; config: Record<string, string> } {
  if (path.endsWith('.json')) {
    const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const config = (typeof j.config === 'object' && j.config !== null ? j.config : j) as Record<string, unknown>;
    const out = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
    const name = typeof j.name === 'string' ? j.name : out.name;
    if (name === undefined) throw new ConfigException(`Connector config ${path} has no name`);
    return { name, config: out };
  }
  const config = loadProperties(path);
  if (config.name === undefined) throw new ConfigException(`Missing required configuration "name" in ${path}`);
  return { name: config.name, config };
}

/** Starts a worker (REST API, herder, connectors from files) in this process. */
export async function startConnect(mode: WorkerMode, workerProps: Record<string, string>, connectorFiles: string[] = []): Promise<RunningConnect> {
  const config = parseWorkerConfig(workerProps, mode);
  const connectorConfigs = connectorFiles.map(loadConnectorConfig);
  const plugins = new Plugins();
  await plugins.loadPluginPath(config.pluginPath);
  const herder: Herder = mode === 'standalone' ? new StandaloneHerder(config, plugins, '') : new DistributedHerder(config, plugins, '');
  const rest = new RestServer(herder);
  const bound = await rest.start(config.listener.host, config.listener.port);
  const host = advertisedHost(config);
  const port = config.restAdvertisedPort ?? bound.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  herder.status.workerId = `${host}:${port}`;
  herder.restUrl = url;
  console.log(`REST server listening at http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}/, advertising URL ${url}`);
  try {
    await herder.start();
    if (herder instanceof DistributedHerder) herder.beginMembership();
    for (const { name, config: c } of connectorConfigs) {
      await herder.putConnectorConfig(name, c, true);
      console.log(`Created connector ${name}`);
    }
  } catch (err) {
    await rest.stop();
    await herder.stop().catch(() => {});
    throw err;
  }
  console.log('Kafka Connect started');
  return {
    herder,
    rest,
    url,
    async stop() {
      await rest.stop();
      await herder.stop();
    },
  };
}

/** The command-line entry point; resolves with the exit code. */
export async function main(mode: WorkerMode, argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '-daemon');
  const usage = mode === 'standalone' ? 'Usage: ConnectStandalone worker.properties [connector1.properties connector2.json ...]' : 'Usage: ConnectDistributed worker.properties';
  if (args.length < 1 || args.includes('--help') || (mode === 'distributed' && args.length > 1)) {
    console.error(usage);
    return 1;
  }
  let running: RunningConnect;
  try {
    running = await startConnect(mode, loadProperties(args[0]!), mode === 'standalone' ? args.slice(1) : []);
  } catch (err) {
    console.error(`Stopping due to error: ${(err as Error).message}`);
    return 1;
  }
  return new Promise((resolve) => {
    let stopping = false;
    const shutdown = (): void => {
      if (stopping) return;
      stopping = true;
      console.log('Kafka Connect stopping');
      running.stop().then(
        () => {
          console.log('Kafka Connect stopped');
          resolve(0);
        },
        (err: Error) => {
          console.error(`Error while stopping: ${err.message}`);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', shutdown);
    process.once('SIGINT', shutdown);
  });
}
