/**
 * `samsa server [-daemon] [server.properties] [--override key=value]...`, also installed as
 * kafka-server-start(.sh) with Kafka's argument shape. Runs until SIGTERM/SIGINT, then shuts
 * down cleanly and exits 0. Logs go to stderr and, as Kafka's log4j config does, to
 * $LOG_DIR/server.log (LOG_DIR defaults to logs/ under the current directory). `-daemon`
 * detaches: the broker runs in a new session with its console output in
 * $LOG_DIR/kafkaServer.out, and the command returns at once.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, openSync, readFileSync, type WriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Broker, BrokerConfig, ConfigException, createLogger, parseProperties, type LogSink } from '@samsa/broker';

export const SERVER_USAGE = 'USAGE: samsa server [-daemon] [server.properties] [--override property=value]* [--storage file|memory]';

export interface ServerArgs {
  propertiesFile: string | null;
  daemon: boolean;
  overrides: Map<string, string>;
  /** Samsa extension: `--storage memory` keeps everything in memory (nothing on disk). */
  storage: 'file' | 'memory';
}

export function parseServerArgs(argv: readonly string[]): ServerArgs {
  let propertiesFile: string | null = null;
  const overrides = new Map<string, string>();
  let storage: 'file' | 'memory' = 'file';
  let daemon = false;
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
      daemon = true;
    } else if (a === '-name' || a === '-loggc') {
      // kafka-run-class options that kafka-server-start passes along: nothing to do here.
      if (a === '-name') i++;
    } else if (a === '-h' || a === '--help') {
      throw new ConfigException(SERVER_USAGE);
    } else if (propertiesFile === null && !a.startsWith('-')) {
      propertiesFile = a;
    } else {
      throw new ConfigException(`Unrecognized argument ${a}\n${SERVER_USAGE}`);
    }
  }
  return { propertiesFile, daemon, overrides, storage };
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

/** Kafka's LOG_DIR: where server.log (and kafkaServer.out with -daemon) are written. */
export function logDir(): string {
  return resolve(process.env['LOG_DIR'] ?? 'logs');
}

/** Every line to stderr and to $LOG_DIR/server.log. */
function serverLogSink(): { sink: LogSink; file: WriteStream } {
  const dir = logDir();
  mkdirSync(dir, { recursive: true });
  const file = createWriteStream(join(dir, 'server.log'), { flags: 'a' });
  file.on('error', (e) => process.stderr.write(`Cannot write ${join(dir, 'server.log')}: ${e.message}\n`));
  return { file, sink: (line) => { process.stderr.write(`${line}\n`); file.write(`${line}\n`); } };
}

/** Starts this same command without -daemon in a new session, output to $LOG_DIR/kafkaServer.out. */
function detach(argv: readonly string[]): number {
  const dir = logDir();
  mkdirSync(dir, { recursive: true });
  const out = openSync(join(dir, 'kafkaServer.out'), 'a');
  const rest = argv.filter((a) => a !== '-daemon' && a !== '--daemon');
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...serverCommandPrefix(), ...rest], {
    detached: true, stdio: ['ignore', out, out], env: { ...process.env, LOG_DIR: dir },
  });
  child.unref();
  return 0;
}

/** The words before the server's own arguments: `samsa server ...` vs `kafka-server-start ...`. */
function serverCommandPrefix(): string[] {
  const command = process.argv[2];
  return command === 'server' || command === 'kafka-server-start' || command === 'kafka-server-start.sh' ? [command] : [];
}

export async function runServer(argv: readonly string[]): Promise<number> {
  let config: BrokerConfig;
  let args: ServerArgs;
  try {
    args = parseServerArgs(argv);
    config = loadServerConfig(args);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  if (args.daemon) return detach(argv);
  const { sink, file } = serverLogSink();
  const log = createLogger('kafka.Kafka', { sink });
  const code = await runBroker(config, args, log, createLogger('kafka.server.KafkaServer', { sink }));
  await new Promise<void>((r) => file.end(() => r()));
  return code;
}

async function runBroker(config: BrokerConfig, args: ServerArgs, log: ReturnType<typeof createLogger>, brokerLog: ReturnType<typeof createLogger>): Promise<number> {
  const broker = new Broker({ config, storage: args.storage, logger: brokerLog });
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
