/**
 * Kafka's file connectors (org.apache.kafka.connect.file): FileStreamSource reads a file's
 * complete lines (from stdin without `file`) into one topic, one record per line with a STRING
 * value schema and source offset {"position": <byte after the line>} for partition
 * {"filename": <file>}; FileStreamSink writes each record's value as a line (to stdout without
 * `file`). Positions count bytes (Kafka's count chars; equal for ASCII files).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { closeSync, openSync, writeSync } from 'node:fs';
import { type ConfigDef, ConfigException, SinkConnector, SinkTask, SourceConnector, SourceTask, type TaskClass } from './api.js';
import { type SinkRecord, type SourceRecord, Schemas, toJavaString } from './data.js';
import { VERSION_STRING } from './version.js';

const FILE_DOC = 'Source filename. If not specified, the standard input will be used';

export class FileStreamSourceConnector extends SourceConnector {
  private props: Record<string, string> = {};

  version(): string {
    return VERSION_STRING;
  }

  override config(): ConfigDef {
    return [
      { name: 'file', type: 'STRING', defaultValue: null, importance: 'HIGH', documentation: FILE_DOC },
      { name: 'topic', type: 'LIST', importance: 'HIGH', documentation: 'The topic to publish data to', validator: (v) => (v !== null && v.split(',').length > 1 ? "'topic' in FileStreamSourceConnector configuration requires definition of a single topic" : null) },
      { name: 'batch.size', type: 'INT', defaultValue: '2000', importance: 'LOW', documentation: 'The maximum number of records the source task can read from the file each time it is polled', validator: positiveInt },
    ];
  }

  start(props: Record<string, string>): void {
    const topic = props.topic;
    if (topic === undefined || topic.trim() === '') throw new ConfigException('Missing required configuration "topic" which has no default value.');
    if (topic.includes(',')) throw new ConfigException("'topic' in FileStreamSourceConnector configuration requires definition of a single topic");
    const bad = positiveInt(props['batch.size'] ?? '2000');
    if (bad !== null) throw new ConfigException(`Invalid value ${props['batch.size']} for configuration batch.size: ${bad}`);
    this.props = props;
  }

  taskClass(): TaskClass<SourceTask> {
    return FileStreamSourceTask;
  }

  taskConfigs(): Array<Record<string, string>> {
    // one task only: a file has one reader
    const c: Record<string, string> = { topic: this.props.topic!.trim(), 'batch.size': this.props['batch.size'] ?? '2000' };
    if (this.props.file !== undefined) c.file = this.props.file;
    return [c];
  }

  stop(): void {}
}

function positiveInt(v: string | null): string | null {
  return v === null || !/^\d+$/.test(v.trim()) || Number(v) < 1 ? 'Value must be at least 1' : null;
}

const READ_CHUNK = 1 << 16;
const IDLE_WAIT_MS = 100;

export class FileStreamSourceTask extends SourceTask {
  private file: string | null = null;
  private topic = '';
  private batchSize = 2000;
  private fh: FileHandle | null = null;
  /** Bytes read past the last complete line. */
  private pending: Buffer = Buffer.alloc(0);
  /** File position after the last line handed out (the committed-offset unit). */
  private streamOffset = 0;
  private stopped = false;
  private wakeStop: (() => void) | null = null;
  private stdinLines: string[] | null = null;

  version(): string {
    return VERSION_STRING;
  }

  start(props: Record<string, string>): void {
    this.file = props.file ?? null;
    this.topic = props.topic!;
    this.batchSize = Number(props['batch.size'] ?? 2000);
    if (this.file === null) {
      this.stdinLines = [];
      let rest = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        this.stdinLines!.push(...parts.map((l) => l.replace(/\r$/, '')));
      });
    }
  }

  /** One object for every record: the worker tells partitions apart by reference first. */
  private partitionKey: Record<string, unknown> | null = null;

  private partition(): Record<string, unknown> {
    return (this.partitionKey ??= { filename: this.file });
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wakeStop = done;
    });
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.stopped) return null;
    if (this.stdinLines !== null) {
      if (this.stdinLines.length === 0) {
        await this.idle(IDLE_WAIT_MS);
        return null;
      }
      const lines = this.stdinLines.splice(0, this.batchSize);
      return lines.map((line) => ({ topic: this.topic, kafkaPartition: null, keySchema: null, key: null, valueSchema: Schemas.STRING, value: line, timestamp: Date.now(), headers: [], sourcePartition: { filename: null }, sourceOffset: {} }));
    }
    if (this.fh === null) {
      try {
        this.fh = await open(this.file!, 'r');
      } catch {
        await this.idle(1000); // Kafka: "Couldn't find file ..., sleeping to wait for it to be created"
        return null;
      }
      const stored = this.context.offsetStorageReader.offset(this.partition());
      const pos = stored?.position;
      this.streamOffset = typeof pos === 'number' ? pos : 0;
      this.pending = Buffer.alloc(0);
    }
    const records: SourceRecord[] = [];
    const now = Date.now();
    while (records.length < this.batchSize) {
      let nl = this.pending.indexOf(10);
      if (nl === -1) {
        const buf = Buffer.allocUnsafe(READ_CHUNK);
        const { bytesRead } = await this.fh.read(buf, 0, READ_CHUNK, this.streamOffset + this.pending.length);
        if (bytesRead === 0) break;
        this.pending = this.pending.length === 0 ? buf.subarray(0, bytesRead) : Buffer.concat([this.pending, buf.subarray(0, bytesRead)]);
        continue;
      }
      let start = 0;
      while (nl !== -1 && records.length < this.batchSize) {
        const end = nl > start && this.pending[nl - 1] === 13 ? nl - 1 : nl;
        this.streamOffset += nl + 1 - start;
        records.push({
          topic: this.topic,
          kafkaPartition: null,
          keySchema: null,
          key: null,
          valueSchema: Schemas.STRING,
          value: this.pending.toString('utf8', start, end),
          timestamp: now,
          headers: [],
          sourcePartition: this.partition(),
          sourceOffset: { position: this.streamOffset },
        });
        start = nl + 1;
        nl = this.pending.indexOf(10, start);
      }
      this.pending = this.pending.subarray(start);
    }
    if (records.length === 0) {
      await this.idle(IDLE_WAIT_MS);
      return null;
    }
    return records;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeStop?.();
    const fh = this.fh;
    this.fh = null;
    await fh?.close().catch(() => {});
  }
}

export class FileStreamSinkConnector extends SinkConnector {
  private props: Record<string, string> = {};

  version(): string {
    return VERSION_STRING;
  }

  override config(): ConfigDef {
    return [{ name: 'file', type: 'STRING', defaultValue: null, importance: 'HIGH', documentation: 'Destination filename. If not specified, the standard output will be used' }];
  }

  start(props: Record<string, string>): void {
    this.props = props;
  }

  taskClass(): TaskClass<SinkTask> {
    return FileStreamSinkTask;
  }

  taskConfigs(maxTasks: number): Array<Record<string, string>> {
    const c: Record<string, string> = this.props.file !== undefined ? { file: this.props.file } : {};
    return Array.from({ length: maxTasks }, () => ({ ...c }));
  }

  stop(): void {}
}

export class FileStreamSinkTask extends SinkTask {
  private fd: number | null = null;

  version(): string {
    return VERSION_STRING;
  }

  start(props: Record<string, string>): void {
    // appends go straight to the OS: a killed worker loses nothing it wrote (flush is a no-op)
    this.fd = props.file === undefined ? 1 : openSync(props.file, 'a');
  }

  put(records: SinkRecord[]): void {
    if (records.length === 0) return;
    let text = '';
    for (const r of records) text += `${toJavaString(r.value)}\n`;
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd!, buf, off);
  }

  stop(): void {
    if (this.fd !== null && this.fd !== 1) closeSync(this.fd);
    this.fd = null;
  }
}
