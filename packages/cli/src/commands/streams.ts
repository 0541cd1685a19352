/**
 * Streams applications shipped with the CLI: Kafka's WordCountDemo, started as
 * `kafka-run-class org.apache.kafka.streams.examples.wordcount.WordCountDemo [props-file]` or
 * `samsa streams wordcount [props-file]`. Runs until SIGINT/SIGTERM.
 */
import { runWordCountDemo } from '@samsa/streams';
import { type Io, parseProperties } from '../tool.js';

export const WORDCOUNT_CLASS = 'org.apache.kafka.streams.examples.wordcount.WordCountDemo';

const RUN_CLASS_USAGE = `USAGE: kafka-run-class <class> [args]
Classes:
  ${WORDCOUNT_CLASS} [streams.properties]
`;

const STREAMS_USAGE = `USAGE: samsa streams <application> [args]
Applications:
  wordcount [streams.properties]   Kafka's WordCountDemo (streams-plaintext-input -> streams-wordcount-output)
`;

async function wordCount(args: readonly string[], io: Io): Promise<number> {
  try {
    return await runWordCountDemo(args, parseProperties, io.stopSignal, (s) => io.err(s));
  } catch (e) {
    // bad properties, unreachable cluster, missing topics: one line, as Kafka's demo dies with one exception
    io.err(`${(e as Error).name}: ${(e as Error).message}\n`);
    return 1;
  }
}

export async function runClass(args: readonly string[], io: Io): Promise<number> {
  const [cls, ...rest] = args;
  if (cls === WORDCOUNT_CLASS || cls === 'WordCountDemo') return wordCount(rest, io);
  io.err(cls === undefined ? RUN_CLASS_USAGE : `Error: Could not find or load main class ${cls}\n${RUN_CLASS_USAGE}`);
  return 1;
}

export async function runStreams(args: readonly string[], io: Io): Promise<number> {
  const [app, ...rest] = args;
  if (app === 'wordcount') return wordCount(rest, io);
  io.err(app === undefined ? STREAMS_USAGE : `Unknown streams application ${app}\n${STREAMS_USAGE}`);
  return 1;
}
