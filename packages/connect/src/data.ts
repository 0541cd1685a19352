/**
 * Connect's data model (org.apache.kafka.connect.data): schemas, structs, and the records that
 * flow between connectors, transformations and converters. int64 values are JS numbers (exact
 * to 2^53), bytes are Buffers, maps without a schema are plain objects, logical Timestamp/Date/Time
 * values are Dates.
 */

export type SchemaType = 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64' | 'boolean' | 'string' | 'bytes' | 'array' | 'map' | 'struct';

export interface Field {
  name: string;
  index: number;
  schema: Schema;
}

export interface Schema {
  type: SchemaType;
  optional: boolean;
  name?: string;
  version?: number;
  doc?: string;
  defaultValue?: unknown;
  parameters?: Record<string, string>;
  /** struct */
  fields?: Field[];
  /** map */
  keySchema?: Schema;
  /** array and map */
  valueSchema?: Schema;
}

/** Connect's logical type names (org.apache.kafka.connect.data.*). */
export const LogicalType = {
  TIMESTAMP: 'org.apache.kafka.connect.data.Timestamp',
  DATE: 'org.apache.kafka.connect.data.Date',
  TIME: 'org.apache.kafka.connect.data.Time',
  DECIMAL: 'org.apache.kafka.connect.data.Decimal',
} as const;

const primitive = (type: SchemaType, optional: boolean): Schema => Object.freeze({ type, optional }) as Schema;

/** Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA, ... */
export const Schemas = {
  INT8: primitive('int8', false),
  INT16: primitive('int16', false),
  INT32: primitive('int32', false),
  INT64: primitive('int64', false),
  FLOAT32: primitive('float32', false),
  FLOAT64: primitive('float64', false),
  BOOLEAN: primitive('boolean', false),
  STRING: primitive('string', false),
  BYTES: primitive('bytes', false),
  OPTIONAL_INT8: primitive('int8', true),
  OPTIONAL_INT16: primitive('int16', true),
  OPTIONAL_INT32: primitive('int32', true),
  OPTIONAL_INT64: primitive('int64', true),
  OPTIONAL_FLOAT32: primitive('float32', true),
  OPTIONAL_FLOAT64: primitive('float64', true),
  OPTIONAL_BOOLEAN: primitive('boolean', true),
  OPTIONAL_STRING: primitive('string', true),
  OPTIONAL_BYTES: primitive('bytes', true),
  OPTIONAL_TIMESTAMP: Object.freeze({ type: 'int64', optional: true, name: LogicalType.TIMESTAMP, version: 1 }) as Schema,
} as const;

/** A struct schema from [name, schema] pairs (SchemaBuilder.struct()). */
export function structSchema(fields: Array<[string, Schema]>, opts: { name?: string; optional?: boolean; version?: number; doc?: string } = {}): Schema {
  const s: Schema = { type: 'struct', optional: opts.optional ?? false, fields: fields.map(([name, schema], index) => ({ name, index, schema })) };
  if (opts.name !== undefined) s.name = opts.name;
  if (opts.version !== undefined) s.version = opts.version;
  if (opts.doc !== undefined) s.doc = opts.doc;
  return s;
}

export class DataException extends Error {
  override readonly name = 'DataException';
}

export class Struct {
  readonly values: Map<string, unknown> = new Map();

  constructor(readonly schema: Schema) {
    if (schema.type !== 'struct') throw new DataException(`Not a struct schema: ${schema.type}`);
  }

  field(name: string): Field {
    const f = this.schema.fields!.find((x) => x.name === name);
    if (f === undefined) throw new DataException(`${name} is not a valid field name`);
    return f;
  }

  get(name: string): unknown {
    const f = this.field(name);
    const v = this.values.get(name);
    return v === undefined ? (f.schema.defaultValue ?? null) : v;
  }

  /** The value as stored, without the field's default (Struct.getWithoutDefault). */
  getWithoutDefault(name: string): unknown {
    this.field(name);
    return this.values.get(name) ?? null;
  }

  put(name: string, value: unknown): this {
    const f = this.field(name);
    validateValue(f.schema, value, name);
    this.values.set(name, value);
    return this;
  }

  /** Struct.validate(): every required field without a default has a value. */
  validate(): void {
    for (const f of this.schema.fields!) {
      const v = this.values.get(f.name) ?? null;
      if (v === null && !f.schema.optional && f.schema.defaultValue === undefined) throw new DataException(`Invalid value: null used for required field: "${f.name}", schema type: ${f.schema.type.toUpperCase()}`);
    }
  }

  toString(): string {
    return `Struct{${this.schema.fields!.filter((f) => (this.values.get(f.name) ?? null) !== null).map((f) => `${f.name}=${toJavaString(this.values.get(f.name))}`).join(',')}}`;
  }
}

/** ConnectSchema.validateValue: the value fits the schema's type (null only when optional). */
export function validateValue(schema: Schema, value: unknown, what = 'value'): void {
  if (value === null || value === undefined) {
    if (schema.optional || schema.defaultValue !== undefined) return;
    throw new DataException(`Invalid value: null used for required field: "${what}", schema type: ${schema.type.toUpperCase()}`);
  }
  const bad = (): never => {
    throw new DataException(`Invalid Java object for schema with type ${schema.type.toUpperCase()}: ${typeof value} for field: "${what}"`);
  };
  if (schema.name === LogicalType.TIMESTAMP || schema.name === LogicalType.DATE || schema.name === LogicalType.TIME) {
    if (!(value instanceof Date)) bad();
    return;
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      if (!Number.isInteger(value) && typeof value !== 'bigint') bad();
      return;
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') bad();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') bad();
      return;
    case 'string':
      if (typeof value !== 'string') bad();
      return;
    case 'bytes':
      if (!Buffer.isBuffer(value)) bad();
      return;
    case 'array':
      if (!Array.isArray(value)) bad();
      return;
    case 'map':
      if (!(value instanceof Map) && (typeof value !== 'object' || Array.isArray(value))) bad();
      return;
    case 'struct':
      if (!(value instanceof Struct)) bad();
      return;
  }
}

/** Java's toString of a Connect value (what FileStreamSink writes: PrintStream.println(value)). */
export function toJavaString(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return `[B@${value.length.toString(16)}`;
  if (value instanceof Date) return value.toString();
  if (Array.isArray(value)) return `[${value.map(toJavaString).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${toJavaString(k)}=${toJavaString(v)}`).join(', ')}}`;
  if (value instanceof Struct) return value.toString();
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${k}=${toJavaString(v)}`).join(', ')}}`;
  return String(value);
}

export interface ConnectHeader {
  key: string;
  schema: Schema | null;
  value: unknown;
}

/** ConnectRecord: what transformations see. */
export interface ConnectRecord {
  topic: string;
  kafkaPartition: number | null;
  keySchema: Schema | null;
  key: unknown;
  valueSchema: Schema | null;
  value: unknown;
  /** ms since the epoch. */
  timestamp: number | null;
  headers: ConnectHeader[];
}

/** A record a source task produced: where it came from, for offset tracking. */
export interface SourceRecord extends ConnectRecord {
  sourcePartition: Record<string, unknown>;
  sourceOffset: Record<string, unknown>;
}

/** A record a sink task receives: where in Kafka it was read. */
export interface SinkRecord extends ConnectRecord {
  kafkaPartition: number;
  kafkaOffset: number;
  /** 'CreateTime' | 'LogAppendTime' | 'NoTimestampType' */
  timestampType: string;
}

export function isSinkRecord(r: ConnectRecord): r is SinkRecord {
  return typeof (r as SinkRecord).kafkaOffset === 'number';
}

/** A SourceRecord with the fields Kafka's constructor defaults. */
export function sourceRecord(r: Partial<SourceRecord> & Pick<SourceRecord, 'topic' | 'sourcePartition' | 'sourceOffset'>): SourceRecord {
  return {
    kafkaPartition: null,
    keySchema: null,
    key: null,
    valueSchema: null,
    value: null,
    timestamp: null,
    headers: [],
    ...r,
  };
}
