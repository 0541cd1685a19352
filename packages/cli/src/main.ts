/** The `samsa` command: dispatches to subcommands. */
import { runServer, SERVER_USAGE } from './commands/server.js';

export { parseServerArgs, loadServerConfig, runServer } from './commands/server.js';

const USAGE = `USAGE: samsa <command> [options]

Commands:
  server [server.properties] [--override property=value]*   run a broker (also: kafka-server-start)
`;

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
    case 'kafka-server-start':
      return runServer(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`Unknown command ${command}\n${USAGE}`);
      void SERVER_USAGE;
      return 1;
  }
}
