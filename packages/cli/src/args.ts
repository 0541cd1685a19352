/**
 * The one command-line parser every tool uses: an option table per tool, parsed the way Kafka's
 * tools (jopt-simple / argparse4j) parse — `--name value`, `--name=value`, repeatable options,
 * `--producer-props a=b c=d` (one or more values), unambiguous prefixes (`--bootstrap`) — and
 * Kafka's messages on bad input ("x is not a recognized option", "Missing required argument").
 */

export type OptionKind =
  /** No argument: present or not. */
  | 'flag'
  /** Exactly one argument. */
  | 'value'
  /** An argument if the next token is not an option (jopt's withOptionalArg). */
  | 'optional'
  /** One or more arguments, up to the next option (argparse4j's nargs("+")). */
  | 'values';

export interface OptionDef {
  /** Long name without dashes. */
  name: string;
  kind: OptionKind;
  description: string;
  /** Other names that mean the same option (e.g. broker-list for bootstrap-server). */
  aliases?: string[];
  /** How the argument is shown in the usage, e.g. "String: topic". */
  metavar?: string;
  /** May be given more than once (values accumulate). */
  repeatable?: boolean;
  default?: string;
  /** Left out of the usage text (deprecated spellings). */
  hidden?: boolean;
}

export interface ToolSpec {
  /** The name users type: kafka-topics. */
  name: string;
  /** One line shown above the options. */
  summary: string;
  options: OptionDef[];
  /**
   * Options Kafka has removed, with what to use instead (default: REMOVED_OPTIONS). A tool that
   * gives one of them a meaning of its own lists its own table.
   */
  removed?: Readonly<Record<string, string>>;
}

/** Options removed from Kafka's tools over the years, and what replaced them. */
export const REMOVED_OPTIONS: Readonly<Record<string, string>> = {
  zookeeper: '--bootstrap-server (the tools talk to the brokers, not to ZooKeeper)',
  'new-consumer': 'nothing: the new consumer is the only one',
  whitelist: '--include',
  blacklist: '--exclude',
  'authorizer-properties': '--bootstrap-server with --command-config',
};

/** Bad command line: the runner prints the message and the usage, and exits 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** --help: the runner prints the usage and exits 0. */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
}

/** --version: the runner prints the version and exits 0. */
export class VersionRequested extends Error {
  override readonly name = 'VersionRequested';
}

/** The common options every tool accepts, as in Kafka's CommandDefaultOptions. */
const COMMON: OptionDef[] = [
  { name: 'help', kind: 'flag', description: 'Print usage information.' },
  { name: 'version', kind: 'flag', description: 'Display Kafka version.' },
];

export class ParsedArgs {
  constructor(
    private readonly spec: ToolSpec,
    private readonly given: Map<string, string[]>,
    /** The raw arguments, for error messages that quote them (as Kafka's do). */
    readonly argv: readonly string[],
  ) {}

  private def(name: string): OptionDef {
    const d = this.spec.options.find((o) => o.name === name);
    if (d === undefined) throw new Error(`${this.spec.name}: option ${name} is not in its table`);
    return d;
  }

  has(name: string): boolean {
    this.def(name);
    return this.given.has(name);
  }

  /** The (last) value, else the default, else undefined. */
  value(name: string): string | undefined {
    const d = this.def(name);
    const vs = this.given.get(name);
    if (vs !== undefined && vs.length > 0) return vs[vs.length - 1];
    return d.default;
  }

  values(name: string): string[] {
    this.def(name);
    return this.given.get(name) ?? [];
  }

  /** The value, which must be present (checkRequiredArgs was called, or it has a default). */
  required(name: string): string {
    const v = this.value(name);
    if (v === undefined) throw new UsageError(`Missing required argument "[${name}]"`);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    return parseIntArg(name, v);
  }

  long(name: string): bigint | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    return parseLongArg(name, v);
  }

  number(name: string): number | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    const n = Number(v.trim());
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
    return n;
  }

  /** Fails unless every named option is present. */
  checkRequired(...names: string[]): void {
    for (const n of names) if (!this.has(n) && this.def(n).default === undefined) throw new UsageError(`Missing required argument "[${n}]"`);
  }

  /** Fails if `used` is present together with any of `invalid` (Kafka's checkInvalidArgs). */
  checkInvalid(used: string, ...invalid: string[]): void {
    if (!this.has(used)) return;
    for (const n of invalid) if (this.has(n)) throw new UsageError(`Option "[${used}]" can't be used with option "[${n}]"`);
  }

  /** Exactly one of the names (Kafka's checkOneOfArgs). */
  checkOneOf(...names: string[]): void {
    const n = names.filter((x) => this.has(x)).length;
    if (n !== 1) throw new UsageError(`Exactly one of the following arguments is required: ${names.map((x) => `[${x}]`).join(', ')}`);
  }
}

export function parseIntArg(name: string, v: string): number {
  const t = v.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
  const n = Number(t);
  if (n > 0x7fffffff || n < -0x80000000) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
  return n;
}

export function parseLongArg(name: string, v: string): bigint {
  const t = v.trim();
  if (!/^[+-]?\d+$/.test(t)) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
  const n = BigInt(t);
  if (n > 0x7fffffffffffffffn || n < -0x8000000000000000n) throw new UsageError(`Cannot parse argument '${v}' of option ${name}`);
  return n;
}

function lookup(spec: ToolSpec, all: OptionDef[], token: string): OptionDef {
  const exact = all.find((o) => o.name === token || (o.aliases ?? []).includes(token));
  if (exact !== undefined) return exact;
  // jopt-simple accepts any unambiguous prefix of a long option
  const byPrefix = all.filter((o) => o.name.startsWith(token) || (o.aliases ?? []).some((a) => a.startsWith(token)));
  if (token.length > 0 && byPrefix.length === 1) return byPrefix[0]!;
  const instead = (spec.removed ?? REMOVED_OPTIONS)[token];
  if (instead !== undefined) throw new UsageError(`${token} is not a recognized option: --${token} was removed from Kafka's tools; use ${instead} instead`);
  throw new UsageError(`${token} is not a recognized option`);
}

/** Looks like an option (and not a negative number such as `--time -1`). */
function isOptionToken(t: string): boolean {
  return t.startsWith('-') && t.length > 1 && !/^-\d/.test(t);
}

export function parseArgs(spec: ToolSpec, argv: readonly string[]): ParsedArgs {
  const all = [...spec.options, ...COMMON.filter((c) => !spec.options.some((o) => o.name === c.name))];
  const given = new Map<string, string[]>();
  const add = (d: OptionDef, v: string | null): void => {
    let l = given.get(d.name);
    if (l === undefined) given.set(d.name, (l = []));
    else if (d.kind !== 'flag' && d.kind !== 'values' && d.repeatable !== true) l.length = 0; // last one wins
    if (v !== null) l.push(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i]!;
    if (!isOptionToken(tok)) throw new UsageError(`Found non-option argument '${tok}'; every argument must follow an option such as --topic`);
    const body = tok.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const inline = eq >= 0 ? body.slice(eq + 1) : null;
    const d = lookup(spec, all, name);
    switch (d.kind) {
      case 'flag':
        if (inline !== null) throw new UsageError(`Option ${d.name} does not take an argument`);
        add(d, null);
        break;
      case 'value': {
        let v = inline;
        if (v === null) {
          const next = argv[i + 1];
          if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`Option ${d.name} requires an argument`);
          v = next;
          i++;
        }
        // Tutorials write comma lists with a space after the comma (`--bootstrap-server a:9092,
        // b:9092`), which the shell splits: a value ending in ',' continues into the next word.
        while (v.endsWith(',') && argv[i + 1] !== undefined && !isOptionToken(argv[i + 1]!)) v += argv[++i]!;
        add(d, v);
        break;
      }
      case 'optional': {
        let v = inline;
        if (v === null && argv[i + 1] !== undefined && !isOptionToken(argv[i + 1]!)) v = argv[++i]!;
        add(d, v);
        break;
      }
      case 'values': {
        const vs: string[] = inline !== null ? [inline] : [];
        while (argv[i + 1] !== undefined && !isOptionToken(argv[i + 1]!)) vs.push(argv[++i]!);
        if (vs.length === 0) throw new UsageError(`Option ${d.name} requires at least one argument`);
        for (const v of vs) add(d, v);
        break;
      }
    }
  }
  if (given.has('help')) throw new HelpRequested(spec.summary);
  if (given.has('version')) throw new VersionRequested();
  return new ParsedArgs({ ...spec, options: all }, given, argv);
}

/** jopt-simple's help table: option with its argument, then the description. */
export function formatUsage(spec: ToolSpec): string {
  const all = [...spec.options, ...COMMON.filter((c) => !spec.options.some((o) => o.name === c.name))].filter((o) => o.hidden !== true);
  const rows = all
    .map((o) => {
      const names = [o.name, ...(o.aliases ?? [])].map((n) => `--${n}`).join(', ');
      const meta = o.metavar ?? 'String';
      const arg = o.kind === 'flag' ? '' : o.kind === 'optional' ? ` [${meta}]` : o.kind === 'values' ? ` <${meta}> [...]` : ` <${meta}>`;
      const def = o.default !== undefined ? ` (default: ${o.default})` : '';
      return [`${names}${arg}`, `${o.description}${def}`] as const;
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const width = Math.min(48, Math.max(6, ...rows.map((r) => r[0].length)) + 2);
  const lines = [`${spec.summary}`, `Usage: ${spec.name} [options]`, '', `${'Option'.padEnd(width)}Description`, `${'------'.padEnd(width)}-----------`];
  for (const [left, desc] of rows) {
    if (left.length + 2 > width) lines.push(left, `${''.padEnd(width)}${desc}`);
    else lines.push(`${left.padEnd(width)}${desc}`);
  }
  return `${lines.join('\n')}\n`;
}
