/**
 * KafkaBasedLog: a compacted topic read from the beginning into memory by a consumer without a
 * group, written through the worker's producer. readToEnd() waits until every record that was
 * in the topic when it was called has been applied (the log-end offsets as the target).
 */
import { Admin, Consumer, type ConsumedMessage, type ConsumerOptions, KafkaError, type Producer } from '@samsa/client';

/** Creates a compacted internal topic, tolerating one that exists (Kafka's TopicAdmin.createOrFindTopics). */
export async function ensureCompactedTopic(admin: Admin, topic: string, partitions: number, replicationFactor: number): Promise<void> {
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor, configs: { 'cleanup.policy': 'compact' } }] });
  } catch (err) {
    if (err instanceof KafkaError && err.code === 36) return; // TOPIC_ALREADY_EXISTS
    throw err;
  }
}

export class KafkaBasedLog {
  private consumer: Consumer | null = null;
  private partitions: number[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly topic: string,
    private readonly consumerOptions: Omit<ConsumerOptions, 'groupId'>,
    private readonly admin: Admin,
    /** Writes go through this producer (null: a read-only log). */
    private readonly producer: Producer | null,
    private readonly onRecord: (m: ConsumedMessage) => void,
    /** Which partitions to read (Kafka's KafkaBasedLog partition filter); all by default. */
    private readonly partitionFilter: (partition: number) => boolean = () => true,
  ) {}

  async start(): Promise<void> {
    const [desc] = await this.admin.describeTopics({ topics: [this.topic] });
    this.partitions = desc!.partitions.map((p) => p.partition).filter(this.partitionFilter).sort((a, b) => a - b);
    this.consumer = new Consumer({ ...this.consumerOptions, clientId: `${this.consumerOptions.clientId ?? 'connect'}-${this.topic}`, autoOffsetReset: 'earliest', fetchMaxWaitMs: 200 });
    this.consumer.assign(this.partitions.map((partition) => ({ topic: this.topic, partition })));
    this.running = true;
    this.loop = this.readLoop();
    await this.readToEnd();
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      try {
        const batches = await this.consumer!.poll(500);
        for (const b of batches) for (const m of b.messages) this.onRecord(m);
      } catch (err) {
        if (!this.running) return;
        process.emitWarning(`reading ${this.topic}: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const w of [...this.waiters]) w();
    }
  }

  /** Resolves once everything written to the topic before this call has been read. */
  async readToEnd(): Promise<void> {
    const ends = (await this.admin.fetchTopicOffsets(this.topic)).filter((e) => this.partitions.includes(e.partition));
    const caughtUp = async (): Promise<boolean> => {
      for (const e of ends) {
        if (e.high <= e.low) continue;
        if ((await this.consumer!.position({ topic: this.topic, partition: e.partition })) < e.high) return false;
      }
      return true;
    };
    while (!(await caughtUp())) {
      if (!this.running) throw new Error(`${this.topic} reader stopped`);
      await new Promise<void>((resolve) => {
        const w = (): void => {
          this.waiters.delete(w);
          resolve();
        };
        this.waiters.add(w);
      });
    }
  }

  async send(key: string, value: Buffer | null): Promise<void> {
    if (this.producer === null) throw new Error(`${this.topic} is read-only here`);
    await this.producer.send({ topic: this.topic, messages: [{ key, value }] });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.consumer?.stop();
    await this.consumer?.close().catch(() => {});
    await this.loop?.catch(() => {});
    for (const w of [...this.waiters]) w();
  }
}
