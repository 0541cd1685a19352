/**
 * Converters between Connect data and the bytes in Kafka, with Kafka's class names and config
 * keys: StringConverter (converter.encoding), ByteArrayConverter, JsonConverter (schemas.enable,
 * default true: the {"schema": ..., "payload": ...} envelope; decimal.format BASE64|NUMERIC;
 * replace.null.with.default), and SimpleHeaderConverter for headers.
 */
import { DataException, LogicalType, type Schema, type SchemaType, Schemas, Struct } from './data.js';

export interface SchemaAndValue {
  schema: Schema | null;
  value: unknown;
}

export interface Converter {
  /** `configs` are the converter's own keys (the `key.converter.` / `value.converter.` prefix stripped). */
  configure(configs: Record<string, string>, isKey: boolean): void;
  fromConnectData(topic: string, schema: Schema | null, value: unknown): Buffer | null;
  toConnectData(topic: string, value: Buffer | null): SchemaAndValue;
}

export interface HeaderConverter {
  configure(configs: Record<string, string>): void;
  fromConnectHeader(topic: string, key: string, schema: Schema | null, value: unknown): Buffer | null;
  toConnectHeader(topic: string, key: string, value: Buffer | null): SchemaAndValue;
}

export class StringConverter implements Converter {
  private encoding: BufferEncoding = 'utf8';

  configure(configs: Record<string, string>, _isKey = false): void {
    const enc = (configs['converter.encoding'] ?? 'UTF-8').toLowerCase().replace(/[-_]/g, '');
    const known: Record<string, BufferEncoding> = { utf8: 'utf8', utf16le: 'utf16le', isolatin1: 'latin1', iso88591: 'latin1', latin1: 'latin1', usascii: 'ascii', ascii: 'ascii' };
    const e = known[enc];
    if (e === undefined) throw new DataException(`Unsupported converter.encoding ${configs['converter.encoding']}`);
    this.encoding = e;
  }

  fromConnectData(_topic: string, _schema: Schema | null, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    return Buffer.from(typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString(this.encoding) : String(value), this.encoding);
  }

  toConnectData(_topic: string, value: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_STRING, value: value === null ? null : value.toString(this.encoding) };
  }
}

/** ByteArrayConverter: bytes as they are; also a HeaderConverter (header values pass through as bytes), as Kafka's. */
export class ByteArrayConverter implements Converter, HeaderConverter {
  configure(): void {}

  fromConnectHeader(topic: string, _key: string, schema: Schema | null, value: unknown): Buffer | null {
    return this.fromConnectData(topic, schema, value);
  }

  toConnectHeader(_topic: string, _key: string, value: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_BYTES, value };
  }

  fromConnectData(_topic: string, schema: Schema | null, value: unknown): Buffer | null {
    if (schema !== null && schema.type !== 'bytes') throw new DataException(`Invalid schema type for ByteArrayConverter: ${schema.type.toUpperCase()}`);
    if (value === null || value === undefined) return null;
    if (!Buffer.isBuffer(value)) throw new DataException(`ByteArrayConverter is not compatible with objects of type ${typeof value}`);
    return value;
  }

  toConnectData(_topic: string, value: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_BYTES, value };
  }
}

const ENVELOPE_ERROR =
  'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.';

const MS_PER_DAY = 86400000;

export class JsonConverter implements Converter {
  schemasEnabled = true;
  private decimalNumeric = false;
  private replaceNullWithDefault = true;

  configure(configs: Record<string, string>, _isKey = false): void {
    this.schemasEnabled = (configs['schemas.enable'] ?? 'true').trim().toLowerCase() !== 'false';
    this.decimalNumeric = (configs['decimal.format'] ?? 'BASE64').toUpperCase() === 'NUMERIC';
    this.replaceNullWithDefault = (configs['replace.null.with.default'] ?? 'true').trim().toLowerCase() !== 'false';
  }

  fromConnectData(_topic: string, schema: Schema | null, value: unknown): Buffer | null {
    if (schema === null && (value === null || value === undefined)) return null;
    const payload = this.toJson(schema, value);
    const json = this.schemasEnabled ? { schema: schema === null ? null : asJsonSchema(schema), payload } : payload;
    return Buffer.from(JSON.stringify(json), 'utf8');
  }

  toConnectData(_topic: string, value: Buffer | null): SchemaAndValue {
    if (value === null || value.length === 0) return { schema: null, value: null };
    let json: unknown;
    try {
      json = JSON.parse(value.toString('utf8'));
    } catch (err) {
      throw new DataException(`Converting byte[] to Kafka Connect data failed due to serialization error: ${(err as Error).message}`);
    }
    if (!this.schemasEnabled) return { schema: null, value: fromJsonSchemaless(json) };
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new DataException(ENVELOPE_ERROR);
    const keys = Object.keys(json);
    if (keys.length !== 2 || !keys.includes('schema') || !keys.includes('payload')) throw new DataException(ENVELOPE_ERROR);
    const env = json as { schema: unknown; payload: unknown };
    if (env.schema === null) return { schema: null, value: fromJsonSchemaless(env.payload) };
    const schema = asConnectSchema(env.schema);
    return { schema, value: this.fromJson(schema, env.payload) };
  }

  /** JsonConverter.convertToJson */
  toJson(schema: Schema | null, value: unknown): unknown {
    if (value === null || value === undefined) {
      if (schema === null) return null;
      if (schema.defaultValue !== undefined && this.replaceNullWithDefault) return this.toJson(schema, schema.defaultValue);
      if (schema.optional) return null;
      throw new DataException('Conversion error: null value for field that is required and has no default value');
    }
    if (schema === null) return toJsonSchemaless(value);
    switch (schema.name) {
      case LogicalType.TIMESTAMP:
        return asDate(value).getTime();
      case LogicalType.DATE:
        return Math.floor(asDate(value).getTime() / MS_PER_DAY);
      case LogicalType.TIME:
        return asDate(value).getTime() % MS_PER_DAY;
      case LogicalType.DECIMAL:
        if (this.decimalNumeric && typeof value === 'number') return value;
        if (Buffer.isBuffer(value)) return value.toString('base64');
        break;
    }
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64':
      case 'float32':
      case 'float64':
        if (typeof value === 'bigint') return Number(value);
        if (typeof value !== 'number') throw new DataException(`Invalid type for ${schema.type.toUpperCase()}: ${typeof value}`);
        return value;
      case 'boolean':
        if (typeof value !== 'boolean') throw new DataException(`Invalid type for BOOLEAN: ${typeof value}`);
        return value;
      case 'string':
        if (typeof value !== 'string') throw new DataException(`Invalid type for STRING: ${typeof value}`);
        return value;
      case 'bytes':
        if (!Buffer.isBuffer(value)) throw new DataException(`Invalid type for BYTES: ${typeof value}`);
        return value.toString('base64');
      case 'array':
        if (!Array.isArray(value)) throw new DataException(`Invalid type for ARRAY: ${typeof value}`);
        return value.map((v) => this.toJson(schema.valueSchema!, v));
      case 'map': {
        const entries = value instanceof Map ? [...value] : Object.entries(value as object);
        if (schema.keySchema!.type === 'string') return Object.fromEntries(entries.map(([k, v]) => [k, this.toJson(schema.valueSchema!, v)]));
        return entries.map(([k, v]) => [this.toJson(schema.keySchema!, k), this.toJson(schema.valueSchema!, v)]);
      }
      case 'struct': {
        if (!(value instanceof Struct)) throw new DataException(`Invalid type for STRUCT: ${typeof value}`);
        const out: Record<string, unknown> = {};
        for (const f of schema.fields!) out[f.name] = this.toJson(f.schema, value.getWithoutDefault(f.name));
        return out;
      }
    }
  }

  /** JsonConverter.convertToConnect */
  fromJson(schema: Schema, json: unknown): unknown {
    if (json === null || json === undefined) {
      if (schema.defaultValue !== undefined && this.replaceNullWithDefault) return schema.defaultValue;
      if (schema.optional) return null;
      throw new DataException(`Invalid null value for required ${schema.type.toUpperCase()} field`);
    }
    switch (schema.name) {
      case LogicalType.TIMESTAMP:
      case LogicalType.TIME:
        return new Date(expectNumber(json, schema.type));
      case LogicalType.DATE:
        return new Date(expectNumber(json, schema.type) * MS_PER_DAY);
      case LogicalType.DECIMAL:
        if (typeof json === 'number') return json;
        return Buffer.from(String(json), 'base64');
    }
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'int64': {
        const n = expectNumber(json, schema.type);
        if (!Number.isInteger(n)) throw new DataException(`Invalid value for ${schema.type.toUpperCase()}: ${n}`);
        return n;
      }
      case 'float32':
      case 'float64':
        return expectNumber(json, schema.type);
      case 'boolean':
        if (typeof json !== 'boolean') throw new DataException(`Expected BOOLEAN, got ${typeof json}`);
        return json;
      case 'string':
        if (typeof json !== 'string') throw new DataException(`Expected STRING, got ${typeof json}`);
        return json;
      case 'bytes':
        if (typeof json !== 'string') throw new DataException(`Invalid bytes field`);
        return Buffer.from(json, 'base64');
      case 'array':
        if (!Array.isArray(json)) throw new DataException('Expected ARRAY, got a non-array');
        return json.map((v) => this.fromJson(schema.valueSchema!, v));
      case 'map': {
        const out = new Map<unknown, unknown>();
        if (schema.keySchema!.type === 'string') {
          if (typeof json !== 'object' || Array.isArray(json)) throw new DataException('Maps with string fields should be encoded as JSON objects');
          for (const [k, v] of Object.entries(json)) out.set(k, this.fromJson(schema.valueSchema!, v));
        } else {
          if (!Array.isArray(json)) throw new DataException('Maps with non-string fields should be encoded as JSON array of tuples');
          for (const pair of json) {
            if (!Array.isArray(pair) || pair.length !== 2) throw new DataException('Found invalid map entry instead of array tuple');
            out.set(this.fromJson(schema.keySchema!, pair[0]), this.fromJson(schema.valueSchema!, pair[1]));
          }
        }
        return out;
      }
      case 'struct': {
        if (typeof json !== 'object' || Array.isArray(json)) throw new DataException('Structs should be encoded as JSON objects');
        const s = new Struct(schema);
        for (const f of schema.fields!) s.put(f.name, this.fromJson(f.schema, (json as Record<string, unknown>)[f.name] ?? null));
        return s;
      }
    }
  }
}

function asDate(v: unknown): Date {
  if (v instanceof Date) return v;
  if (typeof v === 'number') return new Date(v);
  throw new DataException(`Invalid type for a logical date/time value: ${typeof v}`);
}

function expectNumber(json: unknown, type: string): number {
  if (typeof json !== 'number') throw new DataException(`Expected ${type.toUpperCase()}, got ${typeof json}`);
  return json;
}

function toJsonSchemaless(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Struct) throw new DataException('Conversion error: Struct requires a schema');
  if (Array.isArray(value)) return value.map(toJsonSchemaless);
  if (value instanceof Map) {
    const entries = [...value];
    if (entries.every(([k]) => typeof k === 'string')) return Object.fromEntries(entries.map(([k, v]) => [k, toJsonSchemaless(v)]));
    return entries.map(([k, v]) => [toJsonSchemaless(k), toJsonSchemaless(v)]);
  }
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchemaless(v)]));
  return value;
}

/** Plain JSON as Connect data without a schema: objects are maps (plain objects), numbers stay numbers. */
function fromJsonSchemaless(json: unknown): unknown {
  return json;
}

/** The JSON form of a schema, field order as Kafka's JsonConverter.asJsonSchema writes it. */
export function asJsonSchema(schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = { type: schema.type };
  if (schema.type === 'struct') out.fields = schema.fields!.map((f) => ({ ...asJsonSchema(f.schema), field: f.name }));
  if (schema.type === 'array') out.items = asJsonSchema(schema.valueSchema!);
  if (schema.type === 'map') {
    out.keys = asJsonSchema(schema.keySchema!);
    out.values = asJsonSchema(schema.valueSchema!);
  }
  out.optional = schema.optional;
  if (schema.name !== undefined) out.name = schema.name;
  if (schema.version !== undefined) out.version = schema.version;
  if (schema.doc !== undefined) out.doc = schema.doc;
  if (schema.parameters !== undefined) out.parameters = schema.parameters;
  if (schema.defaultValue !== undefined) out.default = new JsonConverter().toJson({ ...schema, defaultValue: undefined, optional: true }, schema.defaultValue);
  return out;
}

const SCHEMA_TYPES: ReadonlySet<string> = new Set(['int8', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'string', 'bytes', 'array', 'map', 'struct']);

/** JsonConverter.asConnectSchema */
export function asConnectSchema(json: unknown): Schema {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new DataException('Schema must be a JSON object');
  const j = json as Record<string, unknown>;
  const type = j.type;
  if (typeof type !== 'string' || !SCHEMA_TYPES.has(type)) throw new DataException(`Unknown schema type: ${String(type)}`);
  const schema: Schema = { type: type as SchemaType, optional: j.optional === true };
  if (type === 'struct') {
    if (!Array.isArray(j.fields)) throw new DataException('Struct schema\'s "fields" argument is not an array.');
    schema.fields = j.fields.map((f: unknown, index) => {
      const fj = f as Record<string, unknown>;
      if (typeof fj.field !== 'string') throw new DataException('Struct schema\'s field name not specified properly');
      return { name: fj.field, index, schema: asConnectSchema(fj) };
    });
  } else if (type === 'array') {
    if (j.items === undefined) throw new DataException('Array schema did not specify the element type');
    schema.valueSchema = asConnectSchema(j.items);
  } else if (type === 'map') {
    if (j.keys === undefined || j.values === undefined) throw new DataException('Map schema did not specify the key or value type');
    schema.keySchema = asConnectSchema(j.keys);
    schema.valueSchema = asConnectSchema(j.values);
  }
  if (typeof j.name === 'string') schema.name = j.name;
  if (typeof j.version === 'number') schema.version = j.version;
  if (typeof j.doc === 'string') schema.doc = j.doc;
  if (j.parameters !== undefined && j.parameters !== null) schema.parameters = j.parameters as Record<string, string>;
  if (j.default !== undefined && j.default !== null) schema.defaultValue = new JsonConverter().fromJson({ ...schema, optional: true }, j.default);
  return schema;
}

/**
 * SimpleHeaderConverter: header values are written as strings (Buffers as they are) and read
 * back as strings. Kafka's version also infers numbers, booleans, lists and maps from the text;
 * here values read back stay strings.
 */
export class SimpleHeaderConverter implements HeaderConverter {
  configure(): void {}

  fromConnectHeader(_topic: string, _key: string, _schema: Schema | null, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return value;
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (typeof value === 'object' && !(value instanceof Date)) return Buffer.from(JSON.stringify(toJsonSchemaless(value)), 'utf8');
    return Buffer.from(value instanceof Date ? String(value.getTime()) : String(value), 'utf8');
  }

  toConnectHeader(_topic: string, _key: string, value: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_STRING, value: value === null ? null : value.toString('utf8') };
  }
}
