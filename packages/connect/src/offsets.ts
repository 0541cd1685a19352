/**
 * Source offset storage. A key is Kafka's: the JSON list [connectorName, sourcePartition]; the
 * value is the JSON of the source offset (JsonConverter without schemas). Standalone workers
 * keep them in `offset.storage.file.filename` (JSON, written to a temp file and renamed, so a
 * crash leaves the previous or the next version, never a torn one; Kafka writes a Java-
 * serialized map there instead); distributed workers in `offset.storage.topic`.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { ConsumedMessage } from '@samsa/client';
import type { KafkaBasedLog } from './kafka-log.js';

export interface OffsetEntry {
  connector: string;
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

/** JSON with object keys sorted, so equal partitions give equal keys. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

export function offsetKey(connector: string, partition: Record<string, unknown>): string {
  return canonicalJson([connector, partition]);
}

export abstract class OffsetStore {
  protected readonly data = new Map<string, string>();

  get(connector: string, partition: Record<string, unknown>): Record<string, unknown> | null {
    const v = this.data.get(offsetKey(connector, partition));
    return v === undefined ? null : (JSON.parse(v) as Record<string, unknown>);
  }

  /** A connector's source partitions with their offsets, as GET /connectors/{name}/offsets lists them. */
  entriesOf(connector: string): Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }> {
    const out: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }> = [];
    for (const [k, v] of this.data) {
      let key: unknown;
      try {
        key = JSON.parse(k);
      } catch {
        continue; // not a Connect key: another writer's record in the topic
      }
      if (Array.isArray(key) && key.length === 2 && key[0] === connector) out.push({ partition: key[1] as Record<string, unknown>, offset: JSON.parse(v) as Record<string, unknown> });
    }
    return out;
  }

  abstract start(): Promise<void>;
  abstract set(entries: OffsetEntry[]): Promise<void>;
  async stop(): Promise<void> {}
}

export class FileOffsetStore extends OffsetStore {
  constructor(private readonly file: string) {
    super();
  }

  async start(): Promise<void> {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    if (text.trim() === '') return;
    for (const [k, v] of JSON.parse(text) as Array<[string, string]>) this.data.set(k, v);
  }

  async set(entries: OffsetEntry[]): Promise<void> {
    if (entries.length === 0) return;
    for (const e of entries) {
      const k = offsetKey(e.connector, e.partition);
      if (e.offset === null) this.data.delete(k);
      else this.data.set(k, canonicalJson(e.offset));
    }
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify([...this.data]));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
  }
}

export class KafkaOffsetStore extends OffsetStore {
  log: KafkaBasedLog | null = null;

  /** Applies one record of the offsets topic. */
  readonly apply = (m: ConsumedMessage): void => {
    if (m.key === null) return;
    const k = m.key.toString('utf8');
    if (m.value === null) this.data.delete(k);
    else this.data.set(k, m.value.toString('utf8'));
  };

  async start(): Promise<void> {
    await this.log!.start();
  }

  /** Re-reads to the end: a task that moved here must see its previous owner's last offsets. */
  async refresh(): Promise<void> {
    await this.log!.readToEnd();
  }

  async set(entries: OffsetEntry[]): Promise<void> {
    await Promise.all(
      entries.map(async (e) => {
        const k = offsetKey(e.connector, e.partition);
        const v = e.offset === null ? null : canonicalJson(e.offset);
        await this.log!.send(k, v === null ? null : Buffer.from(v));
        if (v === null) this.data.delete(k);
        else this.data.set(k, v);
      }),
    );
  }

  override async stop(): Promise<void> {
    await this.log?.stop();
  }
}
