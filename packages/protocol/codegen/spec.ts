// Reads Kafka's JSON message schemas into a normalized model. Only names, types and versions
// are kept: the schemas' prose ("about", comments) never reaches generated code.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive version range; Kafka's version sets are always contiguous. */
export interface Range {
  readonly lo: number;
  readonly hi: number;
}

/** Kafka's "N+" upper bound (Short.MAX_VALUE). */
export const OPEN = 0x7fff;

export type PrimitiveName =
  | 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'float64'
  | 'string' | 'bytes' | 'records' | 'uuid';

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: PrimitiveName }
  | { readonly kind: 'struct'; readonly struct: StructSpec }
  | { readonly kind: 'array'; readonly elem: FieldType };

export interface FieldSpec {
  readonly name: string; // schema name (PascalCase, or camelCase in some data schemas)
  readonly prop: string; // TypeScript property name
  readonly typeString: string; // as written in the schema, e.g. "[]int32", "[]TopicData"
  readonly type: FieldType;
  readonly versions: Range;
  readonly nullable: Range | null;
  readonly tagged: Range | null;
  readonly tag: number | null;
  /** Per-field flexibleVersions override (undefined = inherit the message's). */
  readonly flexible: Range | null | undefined;
  /** The raw schema default, or undefined (Kafka's type default applies). */
  readonly default: string | undefined;
  readonly ignorable: boolean;
  readonly mapKey: boolean;
  readonly entityType: string | undefined;
}

export interface StructSpec {
  readonly schemaName: string;
  readonly tsName: string;
  readonly fields: FieldSpec[];
  /** Hull of the versions in which this struct can be encoded (set after analysis). */
  context: Range;
  /** Used as a single (non-array) struct field somewhere: needs default/isDefault helpers. */
  usedAsValue: boolean;
}

export type MessageKind = 'request' | 'response' | 'header' | 'data';

export interface MessageSpec {
  readonly name: string;
  readonly kind: MessageKind;
  readonly apiKey: number | undefined;
  readonly valid: Range;
  readonly flexible: Range | null;
  readonly listeners: string[];
  readonly latestVersionUnstable: boolean;
  readonly deprecated: Range | null;
  readonly root: StructSpec;
  /** Every struct of the message in definition order, root first. */
  readonly structs: StructSpec[];
  readonly sourceDir: string;
}

export function parseVersions(s: string | undefined, fallback: Range | null): Range | null {
  if (s === undefined) return fallback;
  const t = s.trim();
  if (t === '' ) return fallback;
  if (t === 'none') return null;
  let m = /^(\d+)\+$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: OPEN };
  m = /^(\d+)-(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[2]) };
  m = /^(\d+)$/.exec(t);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  throw new Error(`bad version range "${s}"`);
}

export function intersect(a: Range | null, b: Range | null): Range | null {
  if (a === null || b === null) return null;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : null;
}

export function hull(a: Range | null, b: Range | null): Range | null {
  if (a === null) return b;
  if (b === null) return a;
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

export function contains(r: Range | null, v: number): boolean {
  return r !== null && v >= r.lo && v <= r.hi;
}

export function covers(outer: Range | null, inner: Range | null): boolean {
  if (inner === null) return true;
  return outer !== null && outer.lo <= inner.lo && outer.hi >= inner.hi;
}

/** Removes // comments (outside strings): Kafka's schema files are JSON with comments. */
export function stripJsonComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i++;
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

export function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

export function kebab(s: string): string {
  return s
    .replace(/KRaft/g, 'Kraft')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

const PRIMITIVES = new Set<string>([
  'bool', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'float64',
  'string', 'bytes', 'records', 'uuid',
]);

interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number | string;
  flexibleVersions?: string;
  default?: string | number | boolean | null;
  ignorable?: boolean;
  mapKey?: boolean;
  entityType?: string;
  fields?: RawField[];
}

interface RawMessage {
  name: string;
  type: string;
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  listeners?: string[];
  latestVersionUnstable?: boolean;
  deprecatedVersions?: string;
  fields: RawField[];
  commonStructs?: { name: string; versions?: string; fields: RawField[] }[];
}

function buildMessage(raw: RawMessage, sourceDir: string): MessageSpec {
  const valid = parseVersions(raw.validVersions, null);
  if (valid === null) throw new Error(`${raw.name}: no valid versions`);
  const flexible = parseVersions(raw.flexibleVersions, null);
  const kind = raw.type as MessageKind;
  if (!['request', 'response', 'header', 'data'].includes(kind)) throw new Error(`${raw.name}: unknown type ${raw.type}`);

  const structs: StructSpec[] = [];
  const byName = new Map<string, StructSpec>();
  const pendingCommon = new Map<string, RawField[]>();
  for (const cs of raw.commonStructs ?? []) pendingCommon.set(cs.name, cs.fields);

  const newStruct = (schemaName: string, tsName: string): StructSpec => {
    if (byName.has(schemaName)) throw new Error(`${raw.name}: struct ${schemaName} defined twice`);
    const s: StructSpec = { schemaName, tsName, fields: [], context: valid, usedAsValue: false };
    byName.set(schemaName, s);
    structs.push(s);
    return s;
  };

  const resolveStruct = (typeName: string, inline: RawField[] | undefined): StructSpec => {
    if (inline !== undefined && inline.length > 0) {
      const s = newStruct(typeName, raw.name + typeName);
      fillFields(s, inline);
      return s;
    }
    const existing = byName.get(typeName);
    if (existing) return existing;
    const common = pendingCommon.get(typeName);
    if (common === undefined) throw new Error(`${raw.name}: unknown struct type ${typeName}`);
    pendingCommon.delete(typeName);
    const s = newStruct(typeName, raw.name + typeName);
    fillFields(s, common);
    return s;
  };

  const parseType = (t: string, f: RawField): FieldType => {
    if (t.startsWith('[]')) {
      const elem = t.slice(2);
      if (PRIMITIVES.has(elem)) {
        if (elem === 'records') throw new Error(`${raw.name}.${f.name}: array of records`);
        return { kind: 'array', elem: { kind: 'primitive', name: elem as PrimitiveName } };
      }
      return { kind: 'array', elem: { kind: 'struct', struct: resolveStruct(elem, f.fields) } };
    }
    if (PRIMITIVES.has(t)) return { kind: 'primitive', name: t as PrimitiveName };
    return { kind: 'struct', struct: resolveStruct(t, f.fields) };
  };

  function fillFields(s: StructSpec, rawFields: RawField[]): void {
    for (const f of rawFields) {
      const tagged = parseVersions(f.taggedVersions, null);
      const versions = parseVersions(f.versions, tagged);
      if (versions === null) throw new Error(`${raw.name}.${f.name}: no versions`);
      const tag = f.tag === undefined ? null : Number(f.tag);
      if ((tag === null) !== (tagged === null)) throw new Error(`${raw.name}.${f.name}: tag without taggedVersions or vice versa`);
      const fieldSpec: FieldSpec = {
        name: f.name,
        prop: lowerFirst(f.name),
        typeString: f.type,
        type: parseType(f.type, f),
        versions,
        nullable: parseVersions(f.nullableVersions, null),
        tagged,
        tag,
        flexible: f.flexibleVersions === undefined ? undefined : parseVersions(f.flexibleVersions, null),
        default: f.default === undefined ? undefined : f.default === null ? 'null' : String(f.default),
        ignorable: f.ignorable === true,
        mapKey: f.mapKey === true,
        entityType: f.entityType,
      };
      if (s.fields.some((x) => x.prop === fieldSpec.prop)) throw new Error(`${raw.name}: duplicate field ${f.name}`);
      s.fields.push(fieldSpec);
    }
  }

  const root = newStruct(raw.name, raw.name);
  fillFields(root, raw.fields);
  if (pendingCommon.size > 0) {
    // Unreferenced common structs are still part of the message's vocabulary.
    for (const name of [...pendingCommon.keys()]) resolveStruct(name, undefined);
  }

  const msg: MessageSpec = {
    name: raw.name,
    kind,
    apiKey: raw.apiKey,
    valid,
    flexible,
    listeners: raw.listeners ?? [],
    latestVersionUnstable: raw.latestVersionUnstable === true,
    deprecated: parseVersions(raw.deprecatedVersions, null),
    root,
    structs,
    sourceDir,
  };
  analyzeContexts(msg);
  return msg;
}

/** Computes, for every struct, the hull of message versions in which it is encoded. */
function analyzeContexts(msg: MessageSpec): void {
  const ctx = new Map<StructSpec, Range | null>();
  const visit = (s: StructSpec, range: Range): void => {
    const prev = ctx.get(s) ?? null;
    const next = hull(prev, range)!;
    if (prev !== null && prev.lo === next.lo && prev.hi === next.hi) return;
    ctx.set(s, next);
    for (const f of s.fields) {
      const present = intersect(f.versions, range);
      if (present === null) continue;
      let t = f.type;
      if (t.kind === 'array') t = t.elem;
      else if (t.kind === 'struct') t.struct.usedAsValue = true;
      if (t.kind === 'struct') visit(t.struct, present);
    }
  };
  visit(msg.root, msg.valid);
  for (const s of msg.structs) {
    const c = ctx.get(s);
    // A struct never reachable in a valid version still gets code; give it the message range.
    s.context = c ?? msg.valid;
  }
}

export const SPEC_DIRS = ['message', 'group-coordinator', 'transaction-coordinator'] as const;

/** Loads every schema under the spec root, sorted by name for deterministic output. */
export function loadSpecs(specRoot: string): MessageSpec[] {
  const out: MessageSpec[] = [];
  for (const dir of SPEC_DIRS) {
    const full = join(specRoot, dir);
    if (!existsSync(full)) throw new Error(`spec directory not found: ${full}`);
    for (const file of readdirSync(full).sort()) {
      if (!file.endsWith('.json')) continue;
      const text = readFileSync(join(full, file), 'utf8');
      let raw: RawMessage;
      try {
        raw = JSON.parse(stripJsonComments(text)) as RawMessage;
      } catch (e) {
        throw new Error(`${dir}/${file}: ${(e as Error).message}`);
      }
      out.push(buildMessage(raw, dir));
    }
  }
  out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return out;
}
