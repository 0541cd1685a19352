/**
 * Connector config (ConnectorConfig / SourceConnectorConfig / SinkConnectorConfig): the common
 * keys, transformation and predicate chains, error handling, and validation into Kafka's
 * ConfigInfos JSON (the body of PUT /connector-plugins/{type}/config/validate).
 */
import { type ConfigDef, ConfigException, type ConfigKey, type Connector } from './api.js';
import type { Converter, HeaderConverter } from './converters.js';
import type { Plugins } from './plugins.js';
import { parseList, type TransformStage, TransformationChain } from './transforms.js';
import type { WorkerConfig } from './worker-config.js';

const COMMON = 'Common';
const TRANSFORMS = 'Transforms';
const PREDICATES = 'Predicates';
const ERRORS = 'Error Handling';

const isIntAtLeast = (min: number) => (v: string | null): string | null => (v === null || !/^-?\d+$/.test(v.trim()) || Number(v) < min ? `Value must be at least ${min}` : null);

function commonDef(type: 'source' | 'sink' | null): ConfigDef {
  const def: ConfigDef = [
    { name: 'name', type: 'STRING', importance: 'HIGH', documentation: 'Globally unique name to use for this connector.', group: COMMON, validator: (v) => (v === null || v.trim() === '' ? 'String must be non-empty' : null) },
    { name: 'connector.class', type: 'STRING', importance: 'HIGH', documentation: 'Name or alias of the class for this connector.', group: COMMON },
    { name: 'tasks.max', type: 'INT', defaultValue: '1', importance: 'HIGH', documentation: 'Maximum number of tasks to use for this connector.', group: COMMON, validator: isIntAtLeast(1) },
    { name: 'key.converter', type: 'CLASS', defaultValue: null, importance: 'LOW', documentation: 'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.', group: COMMON },
    { name: 'value.converter', type: 'CLASS', defaultValue: null, importance: 'LOW', documentation: 'Converter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.', group: COMMON },
    { name: 'header.converter', type: 'CLASS', defaultValue: null, importance: 'LOW', documentation: 'HeaderConverter class used to convert between Kafka Connect format and the serialized form that is written to Kafka.', group: COMMON },
    { name: 'transforms', type: 'LIST', defaultValue: '', importance: 'LOW', documentation: 'Aliases for the transformations to be applied to records.', group: TRANSFORMS },
    { name: 'predicates', type: 'LIST', defaultValue: '', importance: 'LOW', documentation: 'Aliases for the predicates used by transformations.', group: PREDICATES },
    { name: 'errors.tolerance', type: 'STRING', defaultValue: 'none', importance: 'MEDIUM', documentation: "Behavior for tolerating errors during connector operation. 'none' is the default value and signals that any error will result in an immediate connector task failure; 'all' changes the behavior to skip over problematic records.", group: ERRORS, recommendedValues: ['none', 'all'], validator: (v) => (v === null || ['none', 'all'].includes(v.trim().toLowerCase()) ? null : 'String must be one of: none, all') },
    { name: 'errors.log.enable', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'If true, write each error and the details of the failed operation and problematic record to the Connect application log.', group: ERRORS },
    { name: 'errors.log.include.messages', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'Whether to include in the log the Connect record that resulted in a failure.', group: ERRORS },
  ];
  if (type === 'sink') {
    def.push(
      { name: 'topics', type: 'LIST', defaultValue: '', importance: 'HIGH', documentation: 'List of topics to consume, separated by commas', group: COMMON },
      { name: 'topics.regex', type: 'STRING', defaultValue: '', importance: 'HIGH', documentation: 'Regular expression giving topics to consume.', group: COMMON },
      { name: 'errors.deadletterqueue.topic.name', type: 'STRING', defaultValue: '', importance: 'MEDIUM', documentation: 'The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters.', group: ERRORS },
      { name: 'errors.deadletterqueue.topic.replication.factor', type: 'SHORT', defaultValue: '3', importance: 'MEDIUM', documentation: 'Replication factor used to create the dead letter queue topic when it doesn\'t already exist.', group: ERRORS },
      { name: 'errors.deadletterqueue.context.headers.enable', type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'If true, add headers containing error context to the messages written to the dead letter queue.', group: ERRORS },
    );
  }
  return def;
}

export interface ConfigValueInfo {
  definition: Record<string, unknown>;
  value: { name: string; value: string | null; recommended_values: string[]; errors: string[]; visible: boolean };
}

export interface ConfigInfos {
  name: string;
  error_count: number;
  groups: string[];
  configs: ConfigValueInfo[];
}

function validateKeys(def: ConfigDef, props: Record<string, string>, extraErrors: Map<string, string[]>, orderStart: number): ConfigValueInfo[] {
  return def.map((k: ConfigKey, i) => {
    const raw = props[k.name];
    const value = raw ?? (k.defaultValue === undefined ? null : k.defaultValue);
    const errors = [...(extraErrors.get(k.name) ?? [])];
    if (raw === undefined && k.defaultValue === undefined) errors.push(`Missing required configuration "${k.name}" which has no default value.`);
    else if (k.validator !== undefined && value !== null) {
      const e = k.validator(value);
      if (e !== null) errors.push(`Invalid value ${value} for configuration ${k.name}: ${e}`);
    }
    return {
      definition: {
        name: k.name,
        type: k.type,
        required: k.defaultValue === undefined,
        default_value: k.defaultValue ?? null,
        importance: k.importance,
        documentation: k.documentation,
        group: k.group ?? null,
        width: 'NONE',
        display_name: k.name,
        dependents: [],
        order: orderStart + i + 1,
      },
      value: { name: k.name, value, recommended_values: k.recommendedValues ?? [], errors, visible: true },
    };
  });
}

/**
 * Validates a connector config as Kafka's AbstractHerder.validateConnectorConfig does: the
 * common keys, the transformation/predicate keys, the sink topic rules and the connector's own
 * config(). Unknown classes are errors on `connector.class` (or the transform's `type`).
 */
export async function validateConnectorConfig(plugins: Plugins, props: Record<string, string>, refusedOverrides: ReadonlyMap<string, string> = new Map()): Promise<{ infos: ConfigInfos; connector: Connector | null }> {
  const errors = new Map<string, string[]>([...refusedOverrides].map(([k, msg]) => [k, [msg]]));
  const addError = (key: string, msg: string): void => {
    const l = errors.get(key) ?? [];
    l.push(msg);
    errors.set(key, l);
  };
  const className = props['connector.class'];
  let connector: Connector | null = null;
  if (className !== undefined) {
    try {
      connector = (await plugins.connectorFactory(className)).create();
    } catch (err) {
      addError('connector.class', (err as Error).message);
    }
  }
  const def = commonDef(connector?.type ?? null);
  const extra: ConfigDef = [];
  for (const alias of parseList(props.transforms)) {
    const prefix = `transforms.${alias}.`;
    extra.push({ name: `${prefix}type`, type: 'CLASS', importance: 'HIGH', documentation: 'Class for the transformation.', group: `Transforms: ${alias}` });
    extra.push({ name: `${prefix}negate`, type: 'BOOLEAN', defaultValue: 'false', importance: 'MEDIUM', documentation: 'Whether the configured predicate should be negated.', group: `Transforms: ${alias}` });
    extra.push({ name: `${prefix}predicate`, type: 'STRING', defaultValue: null, importance: 'MEDIUM', documentation: 'The alias of a predicate used to determine whether to apply this transformation.', group: `Transforms: ${alias}` });
    const type = props[`${prefix}type`];
    if (type === undefined) continue;
    try {
      const t = plugins.transformation(type);
      for (const k of t.config()) extra.push({ ...k, name: `${prefix}${k.name}`, group: `Transforms: ${alias}` });
      t.configure(withPrefix(props, prefix));
    } catch (err) {
      addError(`${prefix}type`, (err as Error).message);
    }
    const pred = props[`${prefix}predicate`];
    if (pred !== undefined && pred !== '' && !parseList(props.predicates).includes(pred)) addError(`${prefix}predicate`, `Invalid value ${pred} for configuration ${prefix}predicate: Predicate not defined in 'predicates'`);
  }
  for (const alias of parseList(props.predicates)) {
    const prefix = `predicates.${alias}.`;
    extra.push({ name: `${prefix}type`, type: 'CLASS', importance: 'HIGH', documentation: 'Class for the predicate.', group: `Predicates: ${alias}` });
    const type = props[`${prefix}type`];
    if (type === undefined) continue;
    try {
      const p = plugins.predicate(type);
      for (const k of p.config()) extra.push({ ...k, name: `${prefix}${k.name}`, group: `Predicates: ${alias}` });
      p.configure(withPrefix(props, prefix));
    } catch (err) {
      addError(`${prefix}type`, (err as Error).message);
    }
  }
  for (const key of ['key.converter', 'value.converter']) {
    const c = props[key];
    if (c !== undefined) {
      try {
        plugins.converter(c);
      } catch (err) {
        addError(key, (err as Error).message);
      }
    }
  }
  if (connector?.type === 'sink') {
    const topics = parseList(props.topics);
    const regex = props['topics.regex'] ?? '';
    if (topics.length > 0 && regex !== '') addError('topics', 'topics and topics.regex are mutually exclusive options, but both are set.');
    else if (topics.length === 0 && regex === '') addError('topics', 'Must configure one of topics or topics.regex');
    if (regex !== '') {
      try {
        new RegExp(regex);
      } catch (err) {
        addError('topics.regex', `Invalid value ${regex} for configuration topics.regex: ${(err as Error).message}`);
      }
    }
    const dlq = props['errors.deadletterqueue.topic.name'] ?? '';
    if (dlq !== '' && topics.includes(dlq)) addError('errors.deadletterqueue.topic.name', `The DLQ topic '${dlq}' may not be included in the list of topics ('topics=${props.topics}') consumed by the connector`);
  }
  const own = connector?.config() ?? [];
  const ownKeys = own.filter((k) => !def.some((d) => d.name === k.name));
  // client overrides the worker's policy refuses are reported on their own keys, as Kafka does
  const overrideKeys: ConfigDef = [...refusedOverrides.keys()].map((name) => ({ name, type: 'STRING', defaultValue: '', importance: 'LOW', documentation: '' }));
  const configs = [...validateKeys(def, props, errors, 0), ...validateKeys(extra, props, errors, def.length), ...validateKeys(ownKeys, props, errors, def.length + extra.length), ...validateKeys(overrideKeys, props, errors, def.length + extra.length + ownKeys.length)];
  const groups = [...new Set([...def, ...extra, ...own].map((k) => k.group).filter((g): g is string => g !== undefined))];
  return {
    infos: { name: className === undefined ? '' : (plugins.knownConnector(className)?.className ?? className), error_count: configs.reduce((n, c) => n + c.value.errors.length, 0), groups, configs },
    connector,
  };
}

/** Kafka's message for a config that failed validation (answered with 400). */
export function invalidConfigMessage(infos: ConfigInfos): string {
  const errs = infos.configs.flatMap((c) => c.value.errors);
  return `Connector configuration is invalid and contains the following ${errs.length} error(s):\n${errs.join('\n')}\nYou can also find the above list of errors at the endpoint \`/connector-plugins/{connectorType}/config/validate\``;
}

/** `prefix.k=v` entries as `k=v`. */
export function withPrefix(props: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

/** The transformation chain a connector config describes. */
export function buildTransformationChain(plugins: Plugins, props: Record<string, string>): TransformationChain {
  const predicates = new Map(
    parseList(props.predicates).map((alias) => {
      const type = props[`predicates.${alias}.type`];
      if (type === undefined) throw new ConfigException(`Missing required configuration "predicates.${alias}.type" which has no default value.`);
      const p = plugins.predicate(type);
      p.configure(withPrefix(props, `predicates.${alias}.`));
      return [alias, p] as const;
    }),
  );
  const stages: TransformStage[] = parseList(props.transforms).map((alias) => {
    const prefix = `transforms.${alias}.`;
    const type = props[`${prefix}type`];
    if (type === undefined) throw new ConfigException(`Missing required configuration "${prefix}type" which has no default value.`);
    const transformation = plugins.transformation(type);
    const own = withPrefix(props, prefix);
    delete own.type;
    delete own.predicate;
    delete own.negate;
    transformation.configure(own);
    const predAlias = props[`${prefix}predicate`];
    const predicate = predAlias === undefined || predAlias === '' ? null : predicates.get(predAlias);
    if (predicate === undefined) throw new ConfigException(`Invalid value ${predAlias} for configuration ${prefix}predicate: Predicate not defined in 'predicates'`);
    return { alias, transformation, predicate, negate: (props[`${prefix}negate`] ?? 'false').toLowerCase() === 'true' };
  });
  return new TransformationChain(stages);
}

/** Key/value converters: the connector's `key.converter` etc. override the worker's, each configured with its prefixed keys. */
export function buildConverters(plugins: Plugins, worker: WorkerConfig, props: Record<string, string>): { key: Converter; value: Converter; header: HeaderConverter } {
  const make = (side: 'key' | 'value'): Converter => {
    const own = props[`${side}.converter`];
    const className = own ?? (side === 'key' ? worker.keyConverter : worker.valueConverter);
    const c = plugins.converter(className);
    c.configure(own !== undefined ? withPrefix(props, `${side}.converter.`) : withPrefix(worker.props, `${side}.converter.`), side === 'key');
    return c;
  };
  const header = plugins.headerConverter(props['header.converter'] ?? worker.headerConverter);
  header.configure(withPrefix(props['header.converter'] !== undefined ? props : worker.props, 'header.converter.'));
  return { key: make('key'), value: make('value'), header };
}
