/**
 * `samsa server [server.properties] [--override key=value]...`, also installed as
 * kafka-server-start(.sh) with Kafka's argument shape. Runs until SIGTERM/SIGINT, then shuts
 * down cleanly and exits 0.
 */
import { readFileSync } from 'node:fs';
import { Broker, BrokerConfig, ConfigException, createLogger, parseProperties } from '@samsa/broker';

export const SERVER_USAGE = 'USAGE: samsa server [-daemon] [server.properties] [--override property=value]* [--storage file|memory]';

export interface ServerArgs {
  propertiesFile: string | null;
  overrides: Map<string, string>;
  /** Samsa extension: `--storage memory` keeps everything in memory (nothing on disk). */
  storage: 'file' | 'memory';
}

export function parseServerArgs(argv: readonly string[]): ServerArgs {
  let propertiesFile: string | null = null;
  const overrides = new Map<string, string>();
  let storage: 'file' | 'memory' = 'file';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--override') {
      const kv = argv[++i];
      if (kv === undefined || !kv.includes('=')) throw new ConfigException(`--override needs property=value, got ${kv ?? 'nothing'}`);
      const eq = kv.indexOf('=');
      overrides.set(kv.slice(0, eq).trim(), kv.slice(eq + 1));
    } else if (a.startsWith('--override=')) {
      const kv = a.slice('--override='.length);
      const eq = kv.indexOf('=');
      if (eq < 0) throw new ConfigException(`--override needs property=value, got ${kv}`);
      overrides.set(kv.slice(0, eq).trim(), kv.slice(eq + 1));
    } else if (a === '--storage') {
      const v = argv[++i];
      if (v !== 'file' && v !== 'memory') throw new ConfigException(`--storage must be file or memory, got ${v ?? 'nothing'}`);
      storage = v;
    } else if (a === '-daemon' || a === '--daemon') {
      // Kafka's script backgrounds itself; under a process manager we stay in the foreground.
    } else if (a === '-h' || a === '--help') {
      throw new ConfigException(SERVER_USAGE);
    } else if (propertiesFile === null && !a.startsWith('-')) {
      propertiesFile = a;
    } else {
      throw new ConfigException(`Unrecognized argument ${a}\n${SERVER_USAGE}`);
    }
  }
  return { propertiesFile, overrides, storage };
}

/**
 * With no properties file, a single-node broker must serve consumer groups at once: these are
 * the values Kafka's own quick-start config/server.properties sets (Kafka's built-in default
 * of 3 replicas for the internal topics cannot be met by one broker).
 */
export const SINGLE_NODE_DEFAULTS: ReadonlyMap<string, string> = new Map([
  ['offsets.topic.replication.factor', '1'],
  ['transaction.state.log.replication.factor', '1'],
  ['transaction.state.log.min.isr', '1'],
]);

export function loadServerConfig(args: ServerArgs): BrokerConfig {
  const props = args.propertiesFile === null ? new Map(SINGLE_NODE_DEFAULTS) : parseProperties(readFileSync(args.propertiesFile, 'utf8'));
  for (const [k, v] of args.overrides) props.set(k, v);
  return new BrokerConfig(props);
}

export async function runServer(argv: readonly string[]): Promise<number> {
  const log = createLogger('kafka.Kafka');
  let config: BrokerConfig;
  let args: ServerArgs;
  try {
    args = parseServerArgs(argv);
    config = loadServerConfig(args);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const broker = new Broker({ config, storage: args.storage });
  try {
    await broker.start();
  } catch (e) {
    log.error('Exiting Kafka due to fatal exception during startup.', e);
    return 1;
  }
  return await new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log.info(`Terminating process due to signal ${signal}`);
      broker.stop().then(
        () => resolve(0),
        (e) => {
          log.error('Error during shutdown', e);
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
