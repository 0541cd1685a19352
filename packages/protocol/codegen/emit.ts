// Emits TypeScript codecs for one message schema: interfaces, then straight-line encode and
// decode functions per struct, with version branches simplified against the versions in
// which each struct can occur.
import {
  type FieldSpec, type FieldType, type MessageSpec, type Range, type StructSpec,
  contains, intersect, OPEN,
} from './spec.js';

/** Lines of code with indentation. */
export class Code {
  readonly lines: string[] = [];
  constructor(private indent = 0) {}
  line(s: string): void {
    this.lines.push(s === '' ? '' : '  '.repeat(this.indent) + s);
  }
  open(s: string): void {
    this.line(`${s} {`);
    this.indent++;
  }
  close(s = '}'): void {
    this.indent--;
    this.line(s);
  }
  child(): Code {
    return new Code(this.indent + 1);
  }
  append(other: Code): void {
    this.lines.push(...other.lines);
  }
  get empty(): boolean {
    return this.lines.length === 0;
  }
  get depth(): number {
    return this.indent;
  }
}

/** What a generated file needs imported. */
export interface Uses {
  decodeError: boolean;
  encodeError: boolean;
  writerValue: boolean;
  readerType: boolean;
  writerType: boolean;
  tagged: boolean;
  zeroUuid: boolean;
  emptyBytes: boolean;
}

export function newUses(): Uses {
  return {
    decodeError: false, encodeError: false, writerValue: false, readerType: false,
    writerType: false, tagged: false, zeroUuid: false, emptyBytes: false,
  };
}

function q(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

// ---------- version conditions ----------

/** A condition on `version` for `r`, given that version is known to lie in `ctx`. */
function cond(r: Range | null, ctx: Range): string | boolean {
  const i = intersect(r, ctx);
  if (i === null) return false;
  if (i.lo <= ctx.lo && i.hi >= ctx.hi) return true;
  const parts: string[] = [];
  if (i.lo === i.hi) return `version === ${i.lo}`;
  if (i.lo > ctx.lo) parts.push(`version >= ${i.lo}`);
  if (i.hi < ctx.hi) parts.push(`version <= ${i.hi}`);
  return parts.join(' && ');
}

function negCond(r: Range | null, ctx: Range): string | boolean {
  const i = intersect(r, ctx);
  if (i === null) return true;
  if (i.lo <= ctx.lo && i.hi >= ctx.hi) return false;
  if (i.lo === i.hi && i.lo > ctx.lo && i.hi < ctx.hi) return `version !== ${i.lo}`;
  const parts: string[] = [];
  if (i.lo > ctx.lo) parts.push(`version < ${i.lo}`);
  if (i.hi < ctx.hi) parts.push(`version > ${i.hi}`);
  return parts.join(' || ');
}

/** The versions of ctx outside r, as a hull (exact when r touches an end of ctx). */
function outside(r: Range | null, ctx: Range): Range {
  const i = intersect(r, ctx);
  if (i === null) return ctx;
  if (i.lo <= ctx.lo) return { lo: i.hi + 1, hi: ctx.hi };
  if (i.hi >= ctx.hi) return { lo: ctx.lo, hi: i.lo - 1 };
  return ctx;
}

/** if (r) { then } else { otherwise }, with branches decided statically when possible. */
function emitIf(
  code: Code,
  r: Range | null,
  ctx: Range,
  then: ((c: Code, ctx: Range, inBlock: boolean) => void) | null,
  otherwise: ((c: Code, ctx: Range, inBlock: boolean) => void) | null,
): void {
  const c = cond(r, ctx);
  if (c === true) {
    then?.(code, intersect(r, ctx)!, false);
    return;
  }
  if (c === false) {
    otherwise?.(code, ctx, false);
    return;
  }
  const t = code.child();
  if (then) then(t, intersect(r, ctx)!, true);
  const e = code.child();
  if (otherwise) otherwise(e, outside(r, ctx), true);
  if (t.empty && e.empty) return;
  if (t.empty) {
    code.line(`if (${negCond(r, ctx) as string}) {`);
    code.append(e);
    code.line('}');
    return;
  }
  code.line(`if (${c}) {`);
  code.append(t);
  if (!e.empty) {
    code.line('} else {');
    code.append(e);
  }
  code.line('}');
}

/** An expression choosing between a (versions in r) and b (others). */
function sel(r: Range | null, ctx: Range, a: (ctx: Range) => string, b: (ctx: Range) => string): string {
  const c = cond(r, ctx);
  if (c === true) return a(intersect(r, ctx)!);
  if (c === false) return b(ctx);
  return `(${c} ? ${a(intersect(r, ctx)!)} : ${b(outside(r, ctx))})`;
}

/** Runs body inside { } unless the code is already a fresh block. */
function block(code: Code, inBlock: boolean, body: (c: Code) => void): void {
  if (inBlock) {
    body(code);
    return;
  }
  code.line('{');
  const b = code.child();
  body(b);
  code.append(b);
  code.line('}');
}

/** Drops the parentheses sel() puts around a conditional expression. */
function bare(expr: string): string {
  return expr.startsWith('(version') && expr.endsWith(')') ? expr.slice(1, -1) : expr;
}

// ---------- types and defaults ----------

function isRecords(t: FieldType): boolean {
  return t.kind === 'primitive' && t.name === 'records';
}

export function tsType(t: FieldType): string {
  switch (t.kind) {
    case 'primitive':
      switch (t.name) {
        case 'bool': return 'boolean';
        case 'int64': return 'bigint';
        case 'string': case 'uuid': return 'string';
        case 'bytes': return 'Buffer';
        case 'records': return 'Buffer | null';
        default: return 'number';
      }
    case 'struct':
      return t.struct.tsName;
    case 'array':
      return `${tsType(t.elem)}[]`;
  }
}

function fieldCanBeNull(f: FieldSpec): boolean {
  return f.nullable !== null || isRecords(f.type);
}

export function fieldTsType(f: FieldSpec): string {
  const base = tsType(f.type);
  return f.nullable !== null && !isRecords(f.type) ? `${base} | null` : base;
}

function parseIntDefault(s: string): bigint {
  const neg = s.startsWith('-');
  const body = neg ? s.slice(1) : s;
  const v = body.startsWith('0x') ? BigInt(body) : BigInt(body);
  return neg ? -v : v;
}

/** Kafka's default for a field: the schema's "default", else the type's zero value. */
export function defaultExpr(f: FieldSpec, msg: MessageSpec, uses: Uses): string {
  const d = f.default;
  const where = `${msg.name}.${f.name}`;
  if (d === 'null') {
    if (!fieldCanBeNull(f)) throw new Error(`${where}: default null on a non-nullable field`);
    return 'null';
  }
  const t = f.type;
  if (t.kind === 'array') {
    if (d !== undefined && d !== '') throw new Error(`${where}: unsupported array default ${d}`);
    return '[]';
  }
  if (t.kind === 'struct') {
    if (d !== undefined && d !== '') throw new Error(`${where}: unsupported struct default ${d}`);
    return `default${t.struct.tsName}()`;
  }
  switch (t.name) {
    case 'bool':
      if (d === undefined || d === '') return 'false';
      if (d.toLowerCase() === 'true') return 'true';
      if (d.toLowerCase() === 'false') return 'false';
      throw new Error(`${where}: bad bool default ${d}`);
    case 'int8': case 'int16': case 'uint16': case 'int32': case 'uint32':
      return d === undefined || d === '' ? '0' : String(parseIntDefault(d));
    case 'int64':
      return d === undefined || d === '' ? '0n' : `${parseIntDefault(d)}n`;
    case 'float64':
      return d === undefined || d === '' ? '0' : String(Number(d));
    case 'string':
      return q(d ?? '');
    case 'uuid':
      if (d !== undefined && d !== '') throw new Error(`${where}: unsupported uuid default ${d}`);
      uses.zeroUuid = true;
      return 'ZERO_UUID';
    case 'bytes':
      if (d !== undefined && d !== '') throw new Error(`${where}: unsupported bytes default ${d}`);
      uses.emptyBytes = true;
      return 'EMPTY_BYTES';
    case 'records':
      return 'null';
  }
}

/** An expression true when `v` (never undefined) equals the field's default. */
function isDefaultExpr(f: FieldSpec, v: string, msg: MessageSpec, uses: Uses): string {
  const d = defaultExpr(f, msg, uses);
  if (d === 'null') return `${v} === null`;
  const t = f.type;
  const nn = fieldCanBeNull(f) ? `${v} !== null && ` : '';
  if (t.kind === 'array') return `${nn}${v}.length === 0`;
  if (t.kind === 'struct') return `${nn}isDefault${t.struct.tsName}(${v})`;
  if (t.name === 'bytes' || t.name === 'records') return `${nn}${v}.length === 0`;
  return `${v} === ${d}`;
}

/** The minimum encoded size of a value of type t at a version (guards hostile array lengths). */
function minSize(t: FieldType, v: number, flexible: boolean, nullable: boolean, msg: MessageSpec): number {
  if (t.kind === 'array') return flexible ? 1 : 4;
  if (t.kind === 'struct') return nullable ? 1 : minStructSize(t.struct, v, msg);
  switch (t.name) {
    case 'bool': case 'int8': return 1;
    case 'int16': case 'uint16': return 2;
    case 'int32': case 'uint32': return 4;
    case 'int64': case 'float64': return 8;
    case 'uuid': return 16;
    case 'string': return flexible ? 1 : 2;
    case 'bytes': case 'records': return flexible ? 1 : 4;
  }
}

function minStructSize(s: StructSpec, v: number, msg: MessageSpec): number {
  const flexible = contains(msg.flexible, v);
  let n = flexible ? 1 : 0;
  for (const f of s.fields) {
    if (!contains(f.versions, v) || contains(f.tagged, v)) continue;
    const fflex = contains(f.flexible === undefined ? msg.flexible : f.flexible, v);
    n += minSize(f.type, v, fflex, contains(f.nullable, v), msg);
  }
  return n;
}

function minElementSize(elem: FieldType, present: Range, msg: MessageSpec): number {
  let min = Infinity;
  const hi = Math.min(present.hi, msg.valid.hi);
  for (let v = Math.max(present.lo, msg.valid.lo); v <= hi; v++) {
    min = Math.min(min, minSize(elem, v, contains(msg.flexible, v), false, msg));
  }
  return min === Infinity ? 0 : min;
}

// ---------- writing ----------

interface ValueCtx {
  msg: MessageSpec;
  uses: Uses;
  label: string;
  flex: Range | null; // versions using compact encodings
  nullable: Range | null; // versions in which null is allowed
  canBeNull: boolean; // the TypeScript type admits null
  tagged: boolean; // inside a tagged field's payload
}

const SCALAR_WRITE: Record<string, string> = {
  bool: 'bool', int8: 'int8', int16: 'int16', uint16: 'uint16', int32: 'int32', uint32: 'uint32',
  int64: 'int64', float64: 'float64', uuid: 'uuid',
};

function emitNullThrow(code: Code, e: string, vc: ValueCtx): void {
  vc.uses.encodeError = true;
  code.line(`if (${e} === null) throw new ProtocolEncodeError(${q(`${vc.label} is null in a version where it is not nullable`)} + \` (v\${version})\`);`);
}

function emitWrite(code: Code, w: string, t: FieldType, e: string, ctx: Range, vc: ValueCtx): void {
  if (t.kind === 'primitive') {
    const scalar = SCALAR_WRITE[t.name];
    if (scalar !== undefined) {
      code.line(`${w}.${scalar}(${e});`);
      return;
    }
    const [compact, plain] = t.name === 'string' ? ['compactString', 'string'] : ['compactBytes', 'bytes'];
    const nullableName = (s: string): string => (s === 'string' ? 'nullableString' : s === 'bytes' ? 'nullableBytes' : s.replace('compact', 'compactNullable'));
    emitIf(code, vc.nullable, ctx,
      (c, cx) => emitIf(c, vc.flex, cx,
        (c2) => c2.line(`${w}.${nullableName(compact)}(${e});`),
        (c2) => c2.line(`${w}.${nullableName(plain)}(${e});`)),
      (c, cx) => {
        if (vc.canBeNull) emitNullThrow(c, e, vc);
        emitIf(c, vc.flex, cx,
          (c2) => c2.line(`${w}.${compact}(${e});`),
          (c2) => c2.line(`${w}.${plain}(${e});`));
      });
    return;
  }
  if (t.kind === 'struct') {
    const call = `encode${t.struct.tsName}(${w}, version, ${e});`;
    if (!vc.canBeNull) {
      code.line(call);
      return;
    }
    code.line(`if (${e} === null) {`);
    const n = code.child();
    emitIf(n, vc.nullable, ctx,
      (c) => c.line(vc.tagged ? `${w}.uvarint(0);` : `${w}.int8(-1);`),
      (c) => {
        vc.uses.encodeError = true;
        c.line(`throw new ProtocolEncodeError(${q(`${vc.label} is null in a version where it is not nullable`)} + \` (v\${version})\`);`);
      });
    code.append(n);
    code.line('} else {');
    const nn = code.child();
    emitIf(nn, vc.nullable, ctx, (c) => c.line(vc.tagged ? `${w}.uvarint(1);` : `${w}.int8(1);`), null);
    nn.line(call);
    code.append(nn);
    code.line('}');
    return;
  }
  // array
  const body = (c: Code, cx: Range): void => {
    emitIf(c, vc.flex, cx,
      (c2) => c2.line(`${w}.uvarint(${e}.length + 1);`),
      (c2) => c2.line(`${w}.int32(${e}.length);`));
    c.open(`for (let i = 0; i < ${e}.length; i++)`);
    const elemCtx: ValueCtx = { ...vc, nullable: null, canBeNull: false, tagged: false };
    emitWrite(c, w, t.elem, `${e}[i]!`, cx, elemCtx);
    c.close();
  };
  if (!vc.canBeNull) {
    body(code, ctx);
    return;
  }
  code.line(`if (${e} === null) {`);
  const n = code.child();
  emitIf(n, vc.nullable, ctx,
    (c, cx) => emitIf(c, vc.flex, cx, (c2) => c2.line(`${w}.uvarint(0);`), (c2) => c2.line(`${w}.int32(-1);`)),
    (c) => {
      vc.uses.encodeError = true;
      c.line(`throw new ProtocolEncodeError(${q(`${vc.label} is null in a version where it is not nullable`)} + \` (v\${version})\`);`);
    });
  code.append(n);
  code.line('} else {');
  const nn = code.child();
  body(nn, ctx);
  code.append(nn);
  code.line('}');
}

// ---------- reading ----------

const SCALAR_READ: Record<string, string> = SCALAR_WRITE;

/** A read expression for a scalar, string, bytes or single struct value. */
function readExpr(t: FieldType, ctx: Range, vc: ValueCtx): string {
  if (t.kind === 'primitive') {
    const scalar = SCALAR_READ[t.name];
    if (scalar !== undefined) return `r.${scalar}()`;
    const [compact, plain] = t.name === 'string' ? ['compactString', 'string'] : ['compactBytes', 'bytes'];
    const nullableName = (s: string): string => (s === 'string' ? 'nullableString' : s === 'bytes' ? 'nullableBytes' : s.replace('compact', 'compactNullable'));
    return sel(vc.nullable, ctx,
      (cx) => sel(vc.flex, cx, () => `r.${nullableName(compact)}()`, () => `r.${nullableName(plain)}()`),
      (cx) => sel(vc.flex, cx, () => `r.${compact}()`, () => `r.${plain}()`));
  }
  if (t.kind === 'struct') {
    const call = `decode${t.struct.tsName}(r, version)`;
    return sel(vc.nullable, ctx,
      () => (vc.tagged ? `(r.uvarint() === 0 ? null : ${call})` : `(r.int8() < 0 ? null : ${call})`),
      () => call);
  }
  throw new Error('arrays are read with statements');
}

function emitRead(code: Code, target: string, t: FieldType, ctx: Range, present: Range, vc: ValueCtx): void {
  if (t.kind !== 'array') {
    code.line(`${target} = ${bare(readExpr(t, ctx, vc))};`);
    return;
  }
  const min = minElementSize(t.elem, present, vc.msg);
  code.line('{');
  const lenExpr = sel(vc.flex, ctx, () => `r.compactArrayLength(${min})`, () => `r.arrayLength(${min})`);
  const b = code.child();
  b.line(`const n = ${bare(lenExpr)};`);
  b.line('if (n < 0) {');
  const nb = b.child();
  emitIf(nb, vc.nullable, ctx,
    (c) => c.line(`${target} = null;`),
    (c) => {
      vc.uses.decodeError = true;
      c.line(`throw new ProtocolDecodeError(${q(`${vc.label}: null array in a non-nullable field`)}, r.pos);`);
    });
  b.append(nb);
  b.line('} else {');
  const eb = b.child();
  eb.line(`const a: ${tsType(t.elem)}[] = [];`);
  const elemCtx: ValueCtx = { ...vc, nullable: null, canBeNull: false, tagged: false };
  eb.line(`for (let i = 0; i < n; i++) a.push(${readExpr(t.elem, ctx, elemCtx)});`);
  eb.line(`${target} = a;`);
  b.append(eb);
  b.line('}');
  code.append(b);
  code.line('}');
}

// ---------- structs ----------

interface FieldPlan {
  f: FieldSpec;
  present: Range | null; // versions of ctx carrying the field
  untagged: Range | null; // versions of ctx carrying it in place
  tagged: Range | null; // versions of ctx carrying it in the tagged section
  optional: boolean;
}

function planFields(s: StructSpec): FieldPlan[] {
  return s.fields.map((f) => {
    const present = intersect(f.versions, s.context);
    const tagged = intersect(f.tagged, present);
    let untagged = present;
    if (present !== null && tagged !== null) {
      untagged = tagged.lo > present.lo ? { lo: present.lo, hi: tagged.lo - 1 } : null;
    }
    const optional = tagged !== null || present === null || present.lo > s.context.lo || present.hi < s.context.hi;
    return { f, present, untagged, tagged, optional };
  });
}

function fieldFlex(f: FieldSpec, msg: MessageSpec): Range | null {
  return f.flexible === undefined ? msg.flexible : f.flexible;
}

function valueCtx(msg: MessageSpec, uses: Uses, f: FieldSpec, tagged: boolean): ValueCtx {
  return {
    msg, uses, label: `${msg.name}.${f.prop}`,
    flex: tagged ? { lo: 0, hi: OPEN } : fieldFlex(f, msg),
    nullable: f.nullable,
    canBeNull: fieldCanBeNull(f),
    tagged,
  };
}

function valueOf(p: FieldPlan, msg: MessageSpec, uses: Uses): string {
  return p.optional ? `m.${p.f.prop} === undefined ? ${defaultExpr(p.f, msg, uses)} : m.${p.f.prop}` : `m.${p.f.prop}`;
}

export function emitInterface(code: Code, s: StructSpec): void {
  code.open(`export interface ${s.tsName}`);
  for (const p of planFields(s)) {
    code.line(`${p.f.prop}${p.optional ? '?' : ''}: ${fieldTsType(p.f)};`);
  }
  code.line('_unknownTaggedFields?: TaggedFields;');
  code.close();
}

function emitEncodeBody(code: Code, s: StructSpec, msg: MessageSpec, uses: Uses): void {
  const ctx = s.context;
  const plans = planFields(s);
  for (const p of plans) {
    const { f } = p;
    const vc = valueCtx(msg, uses, f, false);
    emitIf(code, p.untagged, ctx,
      (c, cx, inBlock) => {
        const simple = !p.optional && f.type.kind === 'primitive' && !fieldCanBeNull(f);
        if (simple) {
          emitWrite(c, 'w', f.type, `m.${f.prop}`, cx, vc);
          return;
        }
        block(c, inBlock, (b) => {
          b.line(`const v = ${valueOf(p, msg, uses)};`);
          emitWrite(b, 'w', f.type, 'v', cx, vc);
        });
      },
      (c, cx) => {
        // Versions without the field in place: either it is tagged there, or absent.
        if (f.ignorable) return;
        emitIf(c, p.present, cx, null, (c2, _cx, inBlock) => {
          uses.encodeError = true;
          block(c2, inBlock, (b) => {
            b.line(`const v = m.${f.prop};`);
            b.line(`if (v !== undefined && !(${isDefaultExpr(f, 'v', msg, uses)})) {`);
            b.line(`  throw new ProtocolEncodeError(${q(`${msg.name}.${f.prop} cannot be encoded`)} + \` in v\${version}\`);`);
            b.line('}');
          });
        });
      });
  }
  const taggedPlans = plans.filter((p) => p.tagged !== null).sort((a, b) => a.f.tag! - b.f.tag!);
  emitIf(code, msg.flexible, ctx,
    (c, cx) => {
      const live = taggedPlans.filter((p) => intersect(p.tagged, cx) !== null);
      if (live.length === 0) {
        c.line('w.rawTaggedFields(m._unknownTaggedFields);');
        return;
      }
      c.line('const unknownTagged = m._unknownTaggedFields;');
      c.line('let numTagged = unknownTagged === undefined ? 0 : unknownTagged.length;');
      for (const p of live) {
        const vc = valueCtx(msg, uses, p.f, true);
        const name = `tag${p.f.tag}`;
        c.line(`let ${name}: Buffer | undefined;`);
        emitIf(c, p.tagged, cx, (c1, cx2, inBlock) => block(c1, inBlock, (c2) => {
          uses.writerValue = true;
          c2.line(`const v = ${valueOf(p, msg, uses)};`);
          c2.line(`if (!(${isDefaultExpr(p.f, 'v', msg, uses)})) {`);
          const b = c2.child();
          b.line('const tw = new Writer(64);');
          emitWrite(b, 'tw', p.f.type, 'v', cx2, vc);
          b.line(`${name} = tw.toBuffer();`);
          b.line('numTagged++;');
          c2.append(b);
          c2.line('}');
        }), null);
      }
      c.line('w.uvarint(numTagged);');
      c.line('let u = 0;');
      for (const p of live) {
        const name = `tag${p.f.tag}`;
        c.line(`if (${name} !== undefined) {`);
        c.line(`  u = w.rawTaggedFieldsBefore(unknownTagged, u, ${p.f.tag});`);
        c.line(`  w.taggedField(${p.f.tag}, ${name});`);
        c.line('}');
      }
      c.line('w.rawTaggedFieldsBefore(unknownTagged, u, 0x7fffffff);');
    },
    (c) => {
      uses.encodeError = true;
      c.line('if (m._unknownTaggedFields !== undefined && m._unknownTaggedFields.length > 0) {');
      c.line(`  throw new ProtocolEncodeError(${q(`${msg.name}: tagged fields set`)} + \`, but v\${version} has none\`);`);
      c.line('}');
    });
}

function emitDecodeBody(code: Code, s: StructSpec, msg: MessageSpec, uses: Uses): void {
  const ctx = s.context;
  const plans = planFields(s);
  for (const p of plans) {
    const { f } = p;
    const vc = valueCtx(msg, uses, f, false);
    const local = `_${f.prop}`;
    if (p.tagged === null && f.type.kind !== 'array') {
      const expr = sel(p.untagged, ctx, (cx) => readExpr(f.type, cx, vc), () => defaultExpr(f, msg, uses));
      code.line(`const ${local}${f.nullable !== null && !isRecords(f.type) ? `: ${fieldTsType(f)}` : ''} = ${bare(expr)};`);
      continue;
    }
    code.line(`let ${local}: ${fieldTsType(f)};`);
    emitIf(code, p.untagged, ctx,
      (c, cx) => emitRead(c, local, f.type, cx, p.untagged!, vc),
      (c) => c.line(`${local} = ${defaultExpr(f, msg, uses)};`));
  }
  code.line('let unknownTagged: TaggedFields | undefined;');
  const taggedPlans = plans.filter((p) => p.tagged !== null).sort((a, b) => a.f.tag! - b.f.tag!);
  emitIf(code, msg.flexible, ctx, (c, cx) => {
    const live = taggedPlans.filter((p) => intersect(p.tagged, cx) !== null);
    if (live.length === 0) {
      c.line('unknownTagged = r.taggedFields();');
      return;
    }
    uses.decodeError = true;
    c.line('const numTagged = r.uvarint();');
    c.line("if (numTagged > r.remaining) throw new ProtocolDecodeError('tagged field count exceeds frame', r.pos);");
    c.line('let lastTag = -1;');
    c.open('for (let t = 0; t < numTagged; t++)');
    c.line('const tag = r.uvarint();');
    c.line("if (tag <= lastTag) throw new ProtocolDecodeError('tagged fields out of order', r.pos);");
    c.line('lastTag = tag;');
    c.line('const size = r.uvarint();');
    c.line('const end = r.pos + size;');
    c.line("if (end > r.end) throw new ProtocolDecodeError('tagged field exceeds frame', r.pos);");
    let first = true;
    for (const p of live) {
      const vc = valueCtx(msg, uses, p.f, true);
      const tc = cond(p.tagged, cx);
      const test = tc === true ? `tag === ${p.f.tag}` : `tag === ${p.f.tag} && ${tc as string}`;
      c.line(`${first ? '' : '} else '}if (${test}) {`);
      first = false;
      const b = c.child();
      emitRead(b, `_${p.f.prop}`, p.f.type, intersect(p.tagged, cx)!, p.tagged!, vc);
      c.append(b);
    }
    c.line('} else {');
    c.line('  (unknownTagged ??= []).push({ tag, data: r.raw(size) });');
    c.line('  continue;');
    c.line('}');
    c.line("if (r.pos > end) throw new ProtocolDecodeError('tagged field overruns its size', end);");
    c.line('r.pos = end;');
    c.close();
  }, null);
  code.line(`const o: ${s.tsName} = {`);
  for (const p of plans) code.line(`  ${p.f.prop}: _${p.f.prop},`);
  code.line('};');
  code.line('if (unknownTagged !== undefined) o._unknownTaggedFields = unknownTagged;');
  code.line('return o;');
}

function versionCheck(code: Code, msg: MessageSpec, err: 'ProtocolEncodeError' | 'ProtocolDecodeError'): void {
  const what = err === 'ProtocolEncodeError' ? 'encode' : 'decode';
  code.line(`if (version < ${msg.valid.lo} || version > ${msg.valid.hi}) {`);
  code.line(`  throw new ${err}(\`cannot ${what} ${msg.name} v\${version}: valid versions are ${msg.valid.lo}-${msg.valid.hi}\`);`);
  code.line('}');
}

/** Emits every type and function of one message. */
export function emitMessage(msg: MessageSpec, uses: Uses): Code {
  const code = new Code();
  uses.readerType = true;
  uses.writerType = true;
  uses.tagged = true;
  for (const s of msg.structs) {
    emitInterface(code, s);
    code.line('');
  }
  for (const s of msg.structs) {
    const isRoot = s === msg.root;
    const exp = isRoot ? 'export ' : '';
    code.open(`${exp}function encode${s.tsName}(w: Writer, version: number, m: ${s.tsName}): void`);
    if (isRoot) {
      uses.encodeError = true;
      versionCheck(code, msg, 'ProtocolEncodeError');
    }
    emitEncodeBody(code, s, msg, uses);
    code.close();
    code.line('');
    code.open(`${exp}function decode${s.tsName}(r: Reader, version: number): ${s.tsName}`);
    if (isRoot) {
      uses.decodeError = true;
      versionCheck(code, msg, 'ProtocolDecodeError');
    }
    emitDecodeBody(code, s, msg, uses);
    code.close();
    code.line('');
    if (s.usedAsValue) {
      code.open(`function default${s.tsName}(): ${s.tsName}`);
      code.line('return {');
      for (const f of s.fields) code.line(`  ${f.prop}: ${defaultExpr(f, msg, uses)},`);
      code.line('};');
      code.close();
      code.line('');
      code.open(`function isDefault${s.tsName}(m: ${s.tsName}): boolean`);
      code.line('if (m._unknownTaggedFields !== undefined && m._unknownTaggedFields.length > 0) return false;');
      for (const f of s.fields) {
        code.line(`if (m.${f.prop} !== undefined && !(${isDefaultExpr(f, `m.${f.prop}`, msg, uses)})) return false;`);
      }
      code.line('return true;');
      code.close();
      code.line('');
    }
  }
  return code;
}
