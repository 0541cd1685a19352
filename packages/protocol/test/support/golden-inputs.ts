/**
 * The deterministic inputs the golden capture drives real clients with, shared by the capture
 * tool (test/golden/capture.ts) and the golden test, so expectations have one source.
 */

export const GOLDEN_TOPIC = 'golden';
/** A second topic the fake broker advertises (two partitions) so Metadata carries more than one. */
export const GOLDEN_TOPIC_B = 'golden-b';
export const GOLDEN_GROUP = 'golden-group';
export const GOLDEN_PRODUCER_ID = 4242n;
export const GOLDEN_PRODUCER_EPOCH = 0;
/** First record timestamp for the clients that let us set one (kafkajs, kafka-python). */
export const GOLDEN_BASE_TIMESTAMP = 1_700_000_000_000n;

export const CLIENT_IDS = {
  kafkajs: 'golden-kafkajs',
  kcat: 'golden-kcat',
  'kafka-python': 'golden-kafka-python',
  platformatic: 'golden-platformatic',
} as const;
export type GoldenClient = keyof typeof CLIENT_IDS;

export type CodecName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
/** Kafka's codec ids in a batch's attributes. */
export const CODEC_IDS: Record<CodecName, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

export interface GoldenRecord {
  key: string;
  value: string;
  headers: Array<[string, string]>;
  /** Absent where the client stamps the current time itself (librdkafka via kcat). */
  timestamp?: bigint;
}

/** Values long enough that every codec really compresses them. */
function value(client: string, codec: string, i: number): string {
  return `${client}-${codec}-value-${i}-` + 'abcdefgh'.repeat(8);
}

/** Records a producing client sends in one scenario. */
export function producedRecords(client: GoldenClient, codec: CodecName): GoldenRecord[] {
  const out: GoldenRecord[] = [];
  for (let i = 0; i < 3; i++) {
    const r: GoldenRecord = {
      key: `key-${i}`,
      value: value(client, codec, i),
      // kcat applies the same -H headers to every message
      headers: client === 'kcat' ? [['h1', 'one'], ['h2', 'two']] : [['h1', `one-${i}`], ['h2', 'two']],
    };
    if (client !== 'kcat') r.timestamp = GOLDEN_BASE_TIMESTAMP + BigInt(i);
    out.push(r);
  }
  return out;
}

/** Records the fake broker serves from offset 0 of GOLDEN_TOPIC partition 0 to consumers. */
export const FETCH_RECORDS: GoldenRecord[] = [0, 1, 2].map((i) => ({
  key: `fetched-key-${i}`,
  value: `fetched-value-${i}`,
  headers: [['fh', `${i}`]],
  timestamp: GOLDEN_BASE_TIMESTAMP + BigInt(i),
}));

/** A stable topic id per topic (Metadata v10+/Fetch v13+ carry them). */
export const TOPIC_IDS: Record<string, string> = {
  [GOLDEN_TOPIC]: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  [GOLDEN_TOPIC_B]: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4e',
};

/** One fixture as listed in fixtures/manifest.json. */
export interface GoldenFixture {
  /** Path relative to the fixtures directory: <client>/<api>-v<version>-<n>.bin */
  file: string;
  client: GoldenClient;
  clientVersion: string;
  scenario: string;
  /** The codec the scenario configured the producer with (Produce scenarios). */
  codec?: CodecName;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  requestHeaderVersion: number;
  description: string;
}

export interface GoldenManifest {
  /** What each .bin holds: one request frame without its 4-byte size prefix. */
  format: string;
  capturedWith: string;
  fixtures: GoldenFixture[];
}
