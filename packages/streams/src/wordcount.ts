/**
 * Kafka's WordCountDemo: lines from streams-plaintext-input are split into lowercase words,
 * grouped by word and counted; counts go to streams-wordcount-output as Long values. The
 * optional first argument is a properties file, as the Java demo takes.
 */
import { readFileSync } from 'node:fs';
import { StreamsBuilder } from './dsl.js';
import { KafkaStreams } from './kafka-streams.js';
import { Serdes } from './serdes.js';
import type { Topology } from './topology.js';

export const INPUT_TOPIC = 'streams-plaintext-input';
export const OUTPUT_TOPIC = 'streams-wordcount-output';

export function wordCountTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(INPUT_TOPIC, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .flatMapValues((line) => line.toLowerCase().split(/\W+/).filter((w) => w !== ''))
    .groupBy((_key, word) => word, { keySerde: Serdes.String(), valueSerde: Serdes.String() })
    .count({ storeName: 'counts-store' })
    .toStream()
    .to(OUTPUT_TOPIC, { keySerde: Serdes.String(), valueSerde: Serdes.Long() });
  return builder.build();
}

/** The demo's defaults, overridden by the properties file. */
export function wordCountProperties(file: Map<string, string>): Map<string, string> {
  const props = new Map<string, string>([
    ['application.id', 'streams-wordcount'],
    ['bootstrap.servers', 'localhost:9092'],
    ['statestore.cache.max.bytes', '0'],
    ['default.key.serde', 'org.apache.kafka.common.serialization.Serdes$StringSerde'],
    ['default.value.serde', 'org.apache.kafka.common.serialization.Serdes$StringSerde'],
    ['auto.offset.reset', 'earliest'],
  ]);
  for (const [k, v] of file) props.set(k, v);
  return props;
}

/**
 * Runs the demo until `stop` resolves (SIGINT/SIGTERM in the CLI). `parse` reads a
 * properties file (the CLI passes its Java-properties parser).
 */
export async function runWordCountDemo(args: readonly string[], parse: (text: string) => Map<string, string>, stop: Promise<void>, log: (s: string) => void): Promise<number> {
  const file = args[0] === undefined ? new Map<string, string>() : parse(readFileSync(args[0], 'utf8'));
  const streams = new KafkaStreams(wordCountTopology(), wordCountProperties(file));
  let failed: Error | null = null;
  const died = new Promise<void>((resolve) => streams.setUncaughtExceptionHandler((e) => {
    failed = e;
    resolve();
  }));
  await streams.start();
  log(`WordCountDemo started: ${INPUT_TOPIC} -> ${OUTPUT_TOPIC} (application.id ${streams.config.applicationId})\n`);
  await Promise.race([stop, died]);
  await streams.close();
  if (failed !== null) {
    log(`WordCountDemo failed: ${(failed as Error).message}\n`);
    return 1;
  }
  return 0;
}
