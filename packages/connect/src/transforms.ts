/**
 * Kafka's single message transformations and predicates, with Kafka's config keys and the
 * `$Key` / `$Value` variants: InsertField, ReplaceField, MaskField, ValueToKey, ExtractField,
 * TimestampRouter, RegexRouter, Filter; predicates TopicNameMatches, HasHeaderKey,
 * RecordIsTombstone. Schemaless values are maps (plain objects); values with a struct schema
 * are Structs and get a new schema carrying the original's name, version and doc.
 */
import { ConfigException, type ConfigDef, type Predicate, type Transformation } from './api.js';
import { type ConnectRecord, DataException, isSinkRecord, LogicalType, type Schema, Schemas, Struct } from './data.js';

export type Side = 'key' | 'value';

function operatingSchema(r: ConnectRecord, side: Side): Schema | null {
  return side === 'key' ? r.keySchema : r.valueSchema;
}

function operatingValue(r: ConnectRecord, side: Side): unknown {
  return side === 'key' ? r.key : r.value;
}

function withSide<R extends ConnectRecord>(r: R, side: Side, schema: Schema | null, value: unknown): R {
  return side === 'key' ? { ...r, keySchema: schema, key: value } : { ...r, valueSchema: schema, value };
}

function requireMap(v: unknown, purpose: string): Record<string, unknown> {
  if (v instanceof Map) return Object.fromEntries(v) as Record<string, unknown>;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || Buffer.isBuffer(v) || v instanceof Struct || v instanceof Date) {
    throw new DataException(`Only Map objects supported in absence of schema for [${purpose}], found: ${describeType(v)}`);
  }
  return v as Record<string, unknown>;
}

function requireStruct(v: unknown, purpose: string): Struct {
  if (!(v instanceof Struct)) throw new DataException(`Only Struct objects supported for [${purpose}], found: ${describeType(v)}`);
  return v;
}

function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return 'java.lang.String';
  if (Buffer.isBuffer(v)) return '[B';
  return typeof v === 'object' ? v.constructor.name : typeof v;
}

/** A copy of a struct schema's name, version, doc and optionality, with other fields. */
function copyStructBasics(schema: Schema, fields: Array<[string, Schema]>): Schema {
  const out: Schema = { type: 'struct', optional: schema.optional, fields: fields.map(([name, s], index) => ({ name, index, schema: s })) };
  if (schema.name !== undefined) out.name = schema.name;
  if (schema.version !== undefined) out.version = schema.version;
  if (schema.doc !== undefined) out.doc = schema.doc;
  return out;
}

/** "a,b , c" → ['a','b','c'] (Kafka's LIST type). */
export function parseList(v: string | undefined): string[] {
  if (v === undefined || v.trim() === '') return [];
  return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

function requireConfig(props: Record<string, string>, key: string): string {
  const v = props[key];
  if (v === undefined || v === '') throw new ConfigException(`Missing required configuration "${key}" which has no default value.`);
  return v;
}

abstract class BaseTransformation implements Transformation {
  abstract configure(props: Record<string, string>): void;
  abstract apply(record: ConnectRecord): ConnectRecord | null;
  abstract config(): ConfigDef;
  close(): void {}
}

// ---- InsertField ----------------------------------------------------------------------------

interface InsertSpec {
  name: string;
  optional: boolean;
}

function insertSpec(v: string | undefined): InsertSpec | null {
  if (v === undefined || v.trim() === '') return null;
  const s = v.trim();
  if (s.endsWith('!')) return { name: s.slice(0, -1), optional: false };
  if (s.endsWith('?')) return { name: s.slice(0, -1), optional: true };
  return { name: s, optional: true };
}

export class InsertField extends BaseTransformation {
  private topic: InsertSpec | null = null;
  private partition: InsertSpec | null = null;
  private offset: InsertSpec | null = null;
  private timestamp: InsertSpec | null = null;
  private staticField: InsertSpec | null = null;
  private staticValue: string | null = null;

  constructor(private readonly side: Side) {
    super();
  }

  config(): ConfigDef {
    const doc = (what: string): string => `Field name for ${what}. Suffix with ! to make this a required field, or ? to keep it optional (the default).`;
    return [
      { name: 'topic.field', type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: doc('Kafka topic') },
      { name: 'partition.field', type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: doc('Kafka partition') },
      { name: 'offset.field', type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: doc('Kafka offset - only applicable to sink connectors') },
      { name: 'timestamp.field', type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: doc('record timestamp') },
      { name: 'static.field', type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: doc('static data field') },
      { name: 'static.value', type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: 'Static field value, if field name configured.' },
    ];
  }

  configure(props: Record<string, string>): void {
    this.topic = insertSpec(props['topic.field']);
    this.partition = insertSpec(props['partition.field']);
    this.offset = insertSpec(props['offset.field']);
    this.timestamp = insertSpec(props['timestamp.field']);
    this.staticField = insertSpec(props['static.field']);
    this.staticValue = props['static.value'] ?? null;
    if (this.topic === null && this.partition === null && this.offset === null && this.timestamp === null && this.staticField === null) {
      throw new ConfigException('No field insertion configured');
    }
    if (this.staticField !== null && this.staticValue === null) throw new ConfigException('No value specified for static field: static.field');
  }

  private additions(r: ConnectRecord): Array<[InsertSpec, Schema, unknown]> {
    const out: Array<[InsertSpec, Schema, unknown]> = [];
    const schemaOf = (spec: InsertSpec, required: Schema, optional: Schema): Schema => (spec.optional ? optional : required);
    if (this.topic !== null) out.push([this.topic, schemaOf(this.topic, Schemas.STRING, Schemas.OPTIONAL_STRING), r.topic]);
    if (this.partition !== null) out.push([this.partition, schemaOf(this.partition, Schemas.INT32, Schemas.OPTIONAL_INT32), r.kafkaPartition]);
    if (this.offset !== null) {
      if (!isSinkRecord(r)) throw new DataException(`Only SinkRecord supported for [field insertion], found: SourceRecord`);
      out.push([this.offset, schemaOf(this.offset, Schemas.INT64, Schemas.OPTIONAL_INT64), r.kafkaOffset]);
    }
    if (this.timestamp !== null) {
      const ts = { type: 'int64', optional: this.timestamp.optional, name: LogicalType.TIMESTAMP, version: 1 } as Schema;
      out.push([this.timestamp, ts, r.timestamp === null ? null : new Date(r.timestamp)]);
    }
    if (this.staticField !== null) out.push([this.staticField, schemaOf(this.staticField, Schemas.STRING, Schemas.OPTIONAL_STRING), this.staticValue]);
    return out;
  }

  apply(r: ConnectRecord): ConnectRecord {
    const value = operatingValue(r, this.side);
    if (value === null || value === undefined) return r; // tombstones pass through
    const schema = operatingSchema(r, this.side);
    const adds = this.additions(r);
    if (schema === null) {
      const map = { ...requireMap(value, 'field insertion') };
      for (const [spec, , v] of adds) map[spec.name] = this.timestamp === spec && v instanceof Date ? v.getTime() : v;
      return withSide(r, this.side, null, map);
    }
    const struct = requireStruct(value, 'field insertion');
    const newSchema = copyStructBasics(schema, [...schema.fields!.map((f): [string, Schema] => [f.name, f.schema]), ...adds.map(([spec, s]): [string, Schema] => [spec.name, s])]);
    const out = new Struct(newSchema);
    for (const f of schema.fields!) out.put(f.name, struct.getWithoutDefault(f.name));
    for (const [spec, , v] of adds) out.put(spec.name, v);
    return withSide(r, this.side, newSchema, out);
  }
}

// ---- ReplaceField ---------------------------------------------------------------------------

export class ReplaceField extends BaseTransformation {
  private exclude = new Set<string>();
  private include = new Set<string>();
  private renames = new Map<string, string>();
  private reverseRenames = new Map<string, string>();

  constructor(private readonly side: Side) {
    super();
  }

  config(): ConfigDef {
    return [
      { name: 'exclude', type: 'LIST', defaultValue: '', importance: 'MEDIUM', documentation: 'Fields to exclude. This takes precedence over the fields to include.' },
      { name: 'include', type: 'LIST', defaultValue: '', importance: 'MEDIUM', documentation: 'Fields to include. If specified, only these fields will be used.' },
      { name: 'renames', type: 'LIST', defaultValue: '', importance: 'MEDIUM', documentation: 'Field rename mappings, as old:new pairs.' },
    ];
  }

  configure(props: Record<string, string>): void {
    // blacklist/whitelist are the pre-2.6 names of exclude/include
    this.exclude = new Set(parseList(props.exclude ?? props.blacklist));
    this.include = new Set(parseList(props.include ?? props.whitelist));
    this.renames = new Map();
    for (const pair of parseList(props.renames)) {
      const parts = pair.split(':');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new ConfigException(`Invalid value ${props.renames} for configuration renames: Invalid rename mapping: ${pair}`);
      this.renames.set(parts[0]!, parts[1]!);
    }
    this.reverseRenames = new Map([...this.renames].map(([a, b]) => [b, a]));
  }

  private keep(name: string): boolean {
    return !this.exclude.has(name) && (this.include.size === 0 || this.include.has(name));
  }

  private renamed(name: string): string {
    return this.renames.get(name) ?? name;
  }

  apply(r: ConnectRecord): ConnectRecord {
    const value = operatingValue(r, this.side);
    if (value === null || value === undefined) return r;
    const schema = operatingSchema(r, this.side);
    if (schema === null) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(requireMap(value, 'field replacement'))) if (this.keep(k)) out[this.renamed(k)] = v;
      return withSide(r, this.side, null, out);
    }
    const struct = requireStruct(value, 'field replacement');
    const kept = schema.fields!.filter((f) => this.keep(f.name));
    const newSchema = copyStructBasics(schema, kept.map((f): [string, Schema] => [this.renamed(f.name), f.schema]));
    const out = new Struct(newSchema);
    for (const f of newSchema.fields!) out.put(f.name, struct.getWithoutDefault(this.reverseRenames.get(f.name) ?? f.name));
    return withSide(r, this.side, newSchema, out);
  }
}

// ---- MaskField ------------------------------------------------------------------------------

function maskedValue(v: unknown, replacement: string | null, schema: Schema | null): unknown {
  if (v === null || v === undefined) return null;
  if (replacement !== null) {
    if (typeof v === 'string') return replacement;
    if (typeof v === 'number' || typeof v === 'bigint') {
      const n = Number(replacement);
      if (replacement.trim() === '' || Number.isNaN(n)) throw new DataException(`Unable to convert ${replacement} (${replacement}) to number`);
      const integral = schema !== null ? !schema.type.startsWith('float') : Number.isInteger(v);
      if (integral && !Number.isInteger(n)) throw new DataException(`Unable to convert ${replacement} (${replacement}) to number`);
      return typeof v === 'bigint' ? BigInt(n) : n;
    }
    throw new DataException(`Cannot mask value of type ${describeType(v)} with custom replacement.`);
  }
  if (typeof v === 'boolean') return false;
  if (typeof v === 'number') return 0;
  if (typeof v === 'bigint') return 0n;
  if (typeof v === 'string') return '';
  if (Buffer.isBuffer(v)) return Buffer.alloc(0);
  if (v instanceof Date) return new Date(0);
  if (Array.isArray(v)) return [];
  if (v instanceof Map) return new Map();
  if (typeof v === 'object' && !(v instanceof Struct)) return {};
  throw new DataException(`Cannot mask value of type: ${describeType(v)}`);
}

export class MaskField extends BaseTransformation {
  private fields = new Set<string>();
  private replacement: string | null = null;

  constructor(private readonly side: Side) {
    super();
  }

  config(): ConfigDef {
    return [
      { name: 'fields', type: 'LIST', importance: 'HIGH', documentation: 'Names of fields to mask.' },
      { name: 'replacement', type: 'STRING', defaultValue: null, importance: 'LOW', documentation: 'Custom value replacement, that will be applied to all \'fields\' values (numeric or non-empty string values only).' },
    ];
  }

  configure(props: Record<string, string>): void {
    this.fields = new Set(parseList(requireConfig(props, 'fields')));
    const rep = props.replacement;
    if (rep !== undefined && rep === '') throw new ConfigException('Invalid value  for configuration replacement: String must be non-empty');
    this.replacement = rep ?? null;
  }

  apply(r: ConnectRecord): ConnectRecord {
    const value = operatingValue(r, this.side);
    if (value === null || value === undefined) return r;
    const schema = operatingSchema(r, this.side);
    if (schema === null) {
      const out = { ...requireMap(value, 'masking fields') };
      for (const f of this.fields) out[f] = maskedValue(out[f], this.replacement, null);
      return withSide(r, this.side, null, out);
    }
    const struct = requireStruct(value, 'masking fields');
    const out = new Struct(schema);
    for (const f of schema.fields!) {
      const v = struct.getWithoutDefault(f.name);
      out.put(f.name, this.fields.has(f.name) ? maskedValue(v, this.replacement, f.schema) : v);
    }
    return withSide(r, this.side, schema, out);
  }
}

// ---- ValueToKey -----------------------------------------------------------------------------

export class ValueToKey extends BaseTransformation {
  private fields: string[] = [];

  config(): ConfigDef {
    return [{ name: 'fields', type: 'LIST', importance: 'HIGH', documentation: 'Field names on the record value to extract as the record key.' }];
  }

  configure(props: Record<string, string>): void {
    this.fields = parseList(requireConfig(props, 'fields'));
  }

  apply(r: ConnectRecord): ConnectRecord {
    if (r.valueSchema === null) {
      const value = requireMap(r.value, 'copying fields from value to key');
      const key: Record<string, unknown> = {};
      for (const f of this.fields) key[f] = value[f] ?? null;
      return { ...r, keySchema: null, key };
    }
    const value = requireStruct(r.value, 'copying fields from value to key');
    const keySchema: Schema = {
      type: 'struct',
      optional: false,
      fields: this.fields.map((name, index) => {
        const f = r.valueSchema!.fields!.find((x) => x.name === name);
        if (f === undefined) throw new DataException(`Field does not exist: ${name}`);
        return { name, index, schema: f.schema };
      }),
    };
    const key = new Struct(keySchema);
    for (const f of this.fields) key.put(f, value.getWithoutDefault(f));
    return { ...r, keySchema, key };
  }
}

// ---- ExtractField ---------------------------------------------------------------------------

export class ExtractField extends BaseTransformation {
  private field = '';

  constructor(private readonly side: Side) {
    super();
  }

  config(): ConfigDef {
    return [{ name: 'field', type: 'STRING', importance: 'MEDIUM', documentation: 'Field name to extract.' }];
  }

  configure(props: Record<string, string>): void {
    this.field = requireConfig(props, 'field');
  }

  apply(r: ConnectRecord): ConnectRecord {
    const value = operatingValue(r, this.side);
    const schema = operatingSchema(r, this.side);
    if (schema === null) {
      if (value === null || value === undefined) return withSide(r, this.side, null, null);
      return withSide(r, this.side, null, requireMap(value, 'field extraction')[this.field] ?? null);
    }
    const f = schema.fields?.find((x) => x.name === this.field);
    if (f === undefined) throw new DataException(`Unknown field: ${this.field}`);
    if (value === null || value === undefined) return withSide(r, this.side, f.schema, null);
    return withSide(r, this.side, f.schema, requireStruct(value, 'field extraction').getWithoutDefault(this.field));
  }
}

// ---- TimestampRouter ------------------------------------------------------------------------

/** java.text.SimpleDateFormat patterns (the common letters), in UTC as TimestampRouter uses. */
export function formatJavaDate(pattern: string, date: Date): string {
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const lit = pattern.slice(i + 1, end === -1 ? pattern.length : end);
      out += lit === '' ? "'" : lit;
      i = end === -1 ? pattern.length : end + 1;
      continue;
    }
    let j = i;
    while (j < pattern.length && pattern[j] === c) j++;
    const n = j - i;
    switch (c) {
      case 'y':
        out += n === 2 ? pad(date.getUTCFullYear() % 100, 2) : pad(date.getUTCFullYear(), n);
        break;
      case 'M':
        out += pad(date.getUTCMonth() + 1, n);
        break;
      case 'd':
        out += pad(date.getUTCDate(), n);
        break;
      case 'H':
        out += pad(date.getUTCHours(), n);
        break;
      case 'm':
        out += pad(date.getUTCMinutes(), n);
        break;
      case 's':
        out += pad(date.getUTCSeconds(), n);
        break;
      case 'S':
        out += pad(date.getUTCMilliseconds(), n);
        break;
      default:
        if (/[a-zA-Z]/.test(c)) throw new ConfigException(`Unsupported date pattern letter '${c}' in ${pattern}`);
        out += c.repeat(n);
    }
    i = j;
  }
  return out;
}

export class TimestampRouter extends BaseTransformation {
  private topicFormat = '${topic}-${timestamp}';
  private timestampFormat = 'yyyyMMdd';

  config(): ConfigDef {
    return [
      { name: 'topic.format', type: 'STRING', defaultValue: '${topic}-${timestamp}', importance: 'HIGH', documentation: 'Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively.' },
      { name: 'timestamp.format', type: 'STRING', defaultValue: 'yyyyMMdd', importance: 'HIGH', documentation: 'Format string for the timestamp that is compatible with java.text.SimpleDateFormat.' },
    ];
  }

  configure(props: Record<string, string>): void {
    this.topicFormat = props['topic.format'] ?? this.topicFormat;
    this.timestampFormat = props['timestamp.format'] ?? this.timestampFormat;
    formatJavaDate(this.timestampFormat, new Date(0)); // rejects unsupported patterns now
  }

  apply(r: ConnectRecord): ConnectRecord {
    if (r.timestamp === null) throw new DataException(`Timestamp missing on record: ${r.topic}`);
    const ts = formatJavaDate(this.timestampFormat, new Date(r.timestamp));
    return { ...r, topic: this.topicFormat.replaceAll('${topic}', r.topic).replaceAll('${timestamp}', ts) };
  }
}

// ---- RegexRouter ----------------------------------------------------------------------------

/** A Java regex matched against the whole input (Matcher.matches()). */
function wholeMatch(regex: string, key: string): RegExp {
  try {
    return new RegExp(`^(?:${regex})$`);
  } catch (err) {
    throw new ConfigException(`Invalid value ${regex} for configuration ${key}: ${(err as Error).message}`);
  }
}

export class RegexRouter extends BaseTransformation {
  private regex: RegExp = /^$/;
  private replacement = '';

  config(): ConfigDef {
    return [
      { name: 'regex', type: 'STRING', importance: 'HIGH', documentation: 'Regular expression to use for matching.' },
      { name: 'replacement', type: 'STRING', importance: 'HIGH', documentation: 'Replacement string.' },
    ];
  }

  configure(props: Record<string, string>): void {
    this.regex = wholeMatch(requireConfig(props, 'regex'), 'regex');
    const rep = props.replacement;
    if (rep === undefined) throw new ConfigException('Missing required configuration "replacement" which has no default value.');
    this.replacement = rep;
  }

  apply(r: ConnectRecord): ConnectRecord {
    if (!this.regex.test(r.topic)) return r;
    return { ...r, topic: r.topic.replace(this.regex, this.replacement) };
  }
}

// ---- Filter and predicates ------------------------------------------------------------------

/** Drops every record it is applied to: use it with a predicate (and negate) to choose which. */
export class Filter extends BaseTransformation {
  config(): ConfigDef {
    return [];
  }

  configure(): void {}

  apply(): null {
    return null;
  }
}

export class TopicNameMatches implements Predicate {
  private pattern: RegExp = /^$/;

  config(): ConfigDef {
    return [{ name: 'pattern', type: 'STRING', importance: 'MEDIUM', documentation: 'A Java regular expression for matching against the name of a record\'s topic.' }];
  }

  configure(props: Record<string, string>): void {
    this.pattern = wholeMatch(requireConfig(props, 'pattern'), 'pattern');
  }

  test(r: ConnectRecord): boolean {
    return r.topic !== null && this.pattern.test(r.topic);
  }

  close(): void {}
}

export class HasHeaderKey implements Predicate {
  private name = '';

  config(): ConfigDef {
    return [{ name: 'name', type: 'STRING', importance: 'MEDIUM', documentation: 'The header name.' }];
  }

  configure(props: Record<string, string>): void {
    this.name = requireConfig(props, 'name');
  }

  test(r: ConnectRecord): boolean {
    return r.headers.some((h) => h.key === this.name);
  }

  close(): void {}
}

export class RecordIsTombstone implements Predicate {
  config(): ConfigDef {
    return [];
  }

  configure(): void {}

  test(r: ConnectRecord): boolean {
    return r.value === null || r.value === undefined;
  }

  close(): void {}
}

/** One configured stage: the transformation, applied when its predicate (xor negate) holds. */
export interface TransformStage {
  alias: string;
  transformation: Transformation;
  predicate: Predicate | null;
  negate: boolean;
}

/** TransformationChain: stages in order; a null from any stage drops the record. */
export class TransformationChain {
  constructor(readonly stages: TransformStage[]) {}

  apply<R extends ConnectRecord>(record: R): R | null {
    let r: ConnectRecord | null = record;
    for (const s of this.stages) {
      if (s.predicate !== null && s.predicate.test(r) === s.negate) continue;
      r = s.transformation.apply(r);
      if (r === null) return null;
    }
    return r as R;
  }

  close(): void {
    for (const s of this.stages) {
      s.transformation.close();
      s.predicate?.close();
    }
  }
}
