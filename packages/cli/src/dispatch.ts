/** `samsa <command>`: the broker (`server`) or one of the Kafka-named tools. */
import { processIo, runTool } from './tool.js';
import { findTool, TOOLS } from './tools.js';

const SERVER_COMMANDS = new Set(['server', 'kafka-server-start', 'kafka-server-start.sh']);

const USAGE = `USAGE: samsa <command> [options]

Commands:
  server [server.properties] [--override property=value]*   run a broker (also: kafka-server-start)
  zookeeper-server-start zookeeper.properties                  run the installed Apache ZooKeeper (also: zookeeper-server-start.sh)
  zookeeper-shell host:port[/chroot] [command]               ZooKeeper shell: ls, get, stat, create, set, delete, deleteall
  streams wordcount [streams.properties]                      Kafka's WordCountDemo (also: kafka-run-class ${'org.apache.kafka.streams.examples.wordcount.WordCountDemo'})
${[...TOOLS.keys()].map((n) => `  ${n.padEnd(58)}as kafka-${n}.sh`).join('\n')}

Every tool also answers to kafka-<name> and kafka-<name>.sh; --help prints its options.
`;

export const isServerCommand = (command: string | undefined): boolean => command !== undefined && SERVER_COMMANDS.has(command);

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (isServerCommand(command)) {
    // loaded on demand: the tools never need the broker's code
    const { runServer } = await import('./commands/server.js');
    return runServer(rest);
  }
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
  }
  if (command !== undefined && /^zookeeper-(server-start|shell)(\.sh)?$/.test(command)) {
    const { runZookeeperServerStart, runZookeeperShell } = await import('./commands/zookeeper.js');
    return (command.startsWith('zookeeper-shell') ? runZookeeperShell : runZookeeperServerStart)(rest, processIo());
  }
  if (command === 'streams' || command === 'kafka-run-class' || command === 'kafka-run-class.sh') {
    const { runClass, runStreams } = await import('./commands/streams.js');
    return (command === 'streams' ? runStreams : runClass)(rest, processIo());
  }
  const tool = findTool(command);
  if (tool === undefined) {
    process.stderr.write(`Unknown command ${command}\n${USAGE}`);
    return 1;
  }
  return runTool(tool, rest, processIo());
}
