/**
 * Plugin discovery and lookup. Built-in plugins answer to Kafka's class names and aliases
 * (`org.apache.kafka.connect.file.FileStreamSourceConnector`, `FileStreamSourceConnector`,
 * `FileStreamSource`). `plugin.path` lists directories whose packages (a folder with a
 * package.json) and .js/.mjs modules are imported and scanned for exported connector,
 * transformation, predicate and converter classes, registered under their export name. A
 * `connector.class` that names no known class is imported as an npm package (resolved from the
 * working directory, then from this package) whose default or only connector export is used.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigException, type Connector, type Predicate, type Transformation } from './api.js';
import { ByteArrayConverter, type Converter, type HeaderConverter, JsonConverter, SimpleHeaderConverter, StringConverter } from './converters.js';
import { FileStreamSinkConnector, FileStreamSourceConnector } from './file-connectors.js';
import { MirrorCheckpointConnector } from './mirror/mirror-checkpoint-connector.js';
import { MirrorHeartbeatConnector } from './mirror/mirror-heartbeat-connector.js';
import { MirrorSourceConnector } from './mirror/mirror-source-connector.js';
import { VERSION_STRING as VERSION } from './version.js';
import { ExtractField, Filter, HasHeaderKey, InsertField, MaskField, RecordIsTombstone, RegexRouter, ReplaceField, TimestampRouter, TopicNameMatches, ValueToKey } from './transforms.js';


type Factory<T> = () => T;

export type PluginKind = 'source' | 'sink' | 'transformation' | 'predicate' | 'converter' | 'header_converter';

export interface PluginDesc {
  className: string;
  type: PluginKind;
  version: string;
}

interface Entry<T> {
  className: string;
  create: Factory<T>;
}

const T = 'org.apache.kafka.connect.transforms.';
const MIRROR = 'org.apache.kafka.connect.mirror.';

export class Plugins {
  private readonly connectors = new Map<string, Entry<Connector>>();
  private readonly transformations = new Map<string, Entry<Transformation>>();
  private readonly predicates = new Map<string, Entry<Predicate>>();
  private readonly converters = new Map<string, Entry<Converter>>();
  private readonly headerConverters = new Map<string, Entry<HeaderConverter>>();
  private readonly descs: PluginDesc[] = [];

  constructor() {
    this.addConnector('org.apache.kafka.connect.file.FileStreamSourceConnector', () => new FileStreamSourceConnector());
    this.addConnector('org.apache.kafka.connect.file.FileStreamSinkConnector', () => new FileStreamSinkConnector());
    this.add(this.converters, 'converter', 'org.apache.kafka.connect.storage.StringConverter', () => new StringConverter());
    this.add(this.converters, 'converter', 'org.apache.kafka.connect.json.JsonConverter', () => new JsonConverter());
    this.add(this.converters, 'converter', 'org.apache.kafka.connect.converters.ByteArrayConverter', () => new ByteArrayConverter());
    this.add(this.headerConverters, 'header_converter', 'org.apache.kafka.connect.storage.SimpleHeaderConverter', () => new SimpleHeaderConverter());
    this.add(this.headerConverters, 'header_converter', 'org.apache.kafka.connect.converters.ByteArrayConverter', () => new ByteArrayConverter());
    this.addConnector(`${MIRROR}MirrorSourceConnector`, () => new MirrorSourceConnector());
    this.addConnector(`${MIRROR}MirrorCheckpointConnector`, () => new MirrorCheckpointConnector());
    this.addConnector(`${MIRROR}MirrorHeartbeatConnector`, () => new MirrorHeartbeatConnector());
    for (const side of ['Key', 'Value'] as const) {
      const s = side === 'Key' ? 'key' : 'value';
      this.add(this.transformations, 'transformation', `${T}InsertField$${side}`, () => new InsertField(s));
      this.add(this.transformations, 'transformation', `${T}ReplaceField$${side}`, () => new ReplaceField(s));
      this.add(this.transformations, 'transformation', `${T}MaskField$${side}`, () => new MaskField(s));
      this.add(this.transformations, 'transformation', `${T}ExtractField$${side}`, () => new ExtractField(s));
    }
    this.add(this.transformations, 'transformation', `${T}ValueToKey`, () => new ValueToKey());
    this.add(this.transformations, 'transformation', `${T}TimestampRouter`, () => new TimestampRouter());
    this.add(this.transformations, 'transformation', `${T}RegexRouter`, () => new RegexRouter());
    this.add(this.transformations, 'transformation', `${T}Filter`, () => new Filter());
    this.add(this.predicates, 'predicate', `${T}predicates.TopicNameMatches`, () => new TopicNameMatches());
    this.add(this.predicates, 'predicate', `${T}predicates.HasHeaderKey`, () => new HasHeaderKey());
    this.add(this.predicates, 'predicate', `${T}predicates.RecordIsTombstone`, () => new RecordIsTombstone());
  }

  /** Registers under the class name and its simple-name aliases (Kafka's PluginUtils aliases). */
  private add<X>(map: Map<string, Entry<X>>, type: PluginKind, className: string, create: Factory<X>, version = VERSION): void {
    const entry = { className, create };
    const simple = className.slice(className.lastIndexOf('.') + 1);
    for (const name of new Set([className, simple, ...(type === 'source' || type === 'sink' ? [simple.replace(/Connector$/, '')] : [])])) {
      if (!map.has(name)) map.set(name, entry);
    }
    this.descs.push({ className, type, version });
  }

  addConnector(className: string, create: Factory<Connector>): void {
    const probe = create();
    this.add(this.connectors, probe.type, className, create, safeVersion(probe));
  }

  /** Imports every plugin under the `plugin.path` entries (comma-separated). */
  async loadPluginPath(pluginPath: string | undefined): Promise<void> {
    for (const entry of (pluginPath ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const dir = resolve(entry);
      if (!existsSync(dir)) throw new ConfigException(`plugin.path entry ${entry} does not exist`);
      const candidates = statSync(dir).isDirectory() && !existsSync(join(dir, 'package.json')) ? readdirSync(dir).sort().map((n) => join(dir, n)) : [dir];
      for (const c of candidates) {
        const main = moduleMain(c);
        if (main !== null) this.registerModule(await import(pathToFileURL(main).href));
      }
    }
  }

  /** Registers the connector, transformation, predicate and converter classes a module exports. */
  registerModule(mod: Record<string, unknown>): string[] {
    const names: string[] = [];
    for (const [exportName, value] of Object.entries(mod)) {
      if (typeof value !== 'function' || value.prototype === undefined) continue;
      const Cls = value as new () => unknown;
      const name = exportName === 'default' ? Cls.name : exportName;
      const proto = Cls.prototype as Record<string, unknown>;
      if (typeof proto.taskClass === 'function') this.addConnector(name, () => new Cls() as Connector);
      else if (typeof proto.apply === 'function' && typeof proto.configure === 'function') this.add(this.transformations, 'transformation', name, () => new Cls() as Transformation);
      else if (typeof proto.test === 'function' && typeof proto.configure === 'function') this.add(this.predicates, 'predicate', name, () => new Cls() as Predicate);
      else if (typeof proto.fromConnectData === 'function') this.add(this.converters, 'converter', name, () => new Cls() as Converter);
      else continue;
      names.push(name);
    }
    return names;
  }

  /** The connector for `connector.class`, importing it as an npm package if it is not known. */
  async connectorFactory(className: string): Promise<Entry<Connector>> {
    const known = this.connectors.get(className);
    if (known !== undefined) return known;
    const mod = await importPackage(className);
    if (mod !== null) {
      const connectors = Object.entries(mod).filter(([, v]) => typeof v === 'function' && typeof (v as { prototype?: { taskClass?: unknown } }).prototype?.taskClass === 'function');
      const chosen = connectors.find(([k]) => k === 'default') ?? (connectors.length === 1 ? connectors[0] : undefined);
      if (chosen !== undefined) {
        const Cls = chosen[1] as new () => Connector;
        this.addConnector(className, () => new Cls());
        return this.connectors.get(className)!;
      }
      throw new ConfigException(`Package ${className} exports ${connectors.length === 0 ? 'no connector class' : `several connector classes (${connectors.map(([k]) => k).join(', ')}); name one`}`);
    }
    throw new ConfigException(`Failed to find any class that implements Connector and which name matches ${className}, available connectors are: ${this.list(['source', 'sink']).map((d) => d.className).join(', ')}`);
  }

  /** Synchronous lookup of an already-known connector class (for validation). */
  knownConnector(className: string): Entry<Connector> | undefined {
    return this.connectors.get(className);
  }

  transformation(className: string): Transformation {
    return this.lookup(this.transformations, className, 'Transformation').create();
  }

  predicate(className: string): Predicate {
    return this.lookup(this.predicates, className, 'Predicate').create();
  }

  converter(className: string): Converter {
    return this.lookup(this.converters, className, 'Converter').create();
  }

  headerConverter(className: string): HeaderConverter {
    return this.lookup(this.headerConverters, className, 'HeaderConverter').create();
  }

  private lookup<X>(map: Map<string, Entry<X>>, className: string, what: string): Entry<X> {
    const e = map.get(className.trim());
    if (e === undefined) throw new ConfigException(`Class ${className} could not be found (not a known ${what})`);
    return e;
  }

  list(types?: PluginKind[]): PluginDesc[] {
    return this.descs.filter((d) => types === undefined || types.includes(d.type)).sort((a, b) => a.className.localeCompare(b.className));
  }
}

function safeVersion(c: Connector): string {
  try {
    return c.version();
  } catch {
    return 'undefined';
  }
}

/** The file to import for a plugin.path entry: a package's main or a .js/.mjs module. */
function moduleMain(p: string): string | null {
  const st = statSync(p);
  if (st.isFile()) return /\.(m?js)$/.test(p) ? p : null;
  const pkgFile = join(p, 'package.json');
  if (!existsSync(pkgFile)) return null;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { main?: string; exports?: unknown };
  const exp = pkg.exports;
  const fromExports = typeof exp === 'string' ? exp : typeof exp === 'object' && exp !== null ? pickExport((exp as Record<string, unknown>)['.'] ?? exp) : null;
  return join(p, fromExports ?? pkg.main ?? 'index.js');
}

function pickExport(e: unknown): string | null {
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null) {
    const o = e as Record<string, unknown>;
    return pickExport(o.import ?? o.default ?? o.node ?? null);
  }
  return null;
}

async function importPackage(name: string): Promise<Record<string, unknown> | null> {
  if (!/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.-]+)*$/i.test(name)) return null;
  try {
    const path = createRequire(join(process.cwd(), 'package.json')).resolve(name);
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch {
    try {
      return (await import(name)) as Record<string, unknown>;
    } catch {
      return null;
    }
  }
}
