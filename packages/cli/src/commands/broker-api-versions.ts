/**
 * kafka-broker-api-versions: every broker's ApiVersions, printed as Kafka's NodeApiVersions
 * (one line per API this tool's protocol knows: the broker's range and the version both sides
 * can use, UNSUPPORTED when the broker does not serve it, UNKNOWN(key) for APIs only the broker knows).
 */
import { Admin } from '@samsa/client';
import { apis, type ApiDescriptor } from '@samsa/protocol';
import type { ToolSpec } from '../args.js';
import { bootstrapList, clusterOptions, describeError, loadProperties, type Tool } from '../tool.js';

export const brokerApiVersionsSpec: ToolSpec = {
  name: 'kafka-broker-api-versions',
  summary: 'This tool helps to retrieve broker version information.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: server(s) to use for bootstrapping', description: 'REQUIRED: The server to connect to.' },
    { name: 'command-config', kind: 'value', metavar: 'String: command config property file', description: 'A property file containing configs to be passed to Admin Client.' },
  ],
};

/** Kafka's NodeApiVersions.toString(true) for a broker's advertised ranges. */
export function formatNodeApiVersions(ranges: ReadonlyMap<number, [number, number]>): string {
  const lines: string[] = [];
  const known = (apis as ReadonlyArray<ApiDescriptor | undefined>).filter((a): a is ApiDescriptor => a !== undefined && (a.listeners.includes('broker') || a.listeners.includes('zkBroker')));
  for (const api of known) {
    const range = ranges.get(api.apiKey);
    if (range === undefined) {
      lines.push(`${api.name}(${api.apiKey}): UNSUPPORTED`);
      continue;
    }
    const [min, max] = range;
    const latest = api.latestVersionUnstable ? api.maxVersion - 1 : api.maxVersion;
    const usable = latest < min ? ' [unusable: node too new]' : max < api.minVersion ? ' [unusable: node too old]' : ` [usable: ${Math.min(latest, max)}]`;
    lines.push(`${api.name}(${api.apiKey}): ${min === max ? min : `${min} to ${max}`}${usable}`);
  }
  for (const [key, [min, max]] of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (!known.some((a) => a.apiKey === key)) lines.push(`UNKNOWN(${key}): ${min === max ? min : `${min} to ${max}`}`);
  }
  return `(\n\t${lines.join(',\n\t')}\n)`;
}

export const brokerApiVersionsTool: Tool = {
  spec: brokerApiVersionsSpec,
  async run(a, io) {
    a.checkRequired('bootstrap-server');
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
    try {
      const cluster = await admin.describeCluster();
      let failed = false;
      for (const b of [...cluster.brokers].sort((x, y) => x.nodeId - y.nodeId)) {
        const node = `${b.host}:${b.port} (id: ${b.nodeId} rack: ${b.rack ?? 'null'})`;
        try {
          const conn = admin.cluster.broker(b.nodeId);
          await conn.connect();
          const ranges = new Map<number, [number, number]>();
          for (const api of apis) if (api !== undefined && conn.brokerRange(api.apiKey) !== undefined) ranges.set(api.apiKey, conn.brokerRange(api.apiKey)!);
          io.out(`${node} -> ${formatNodeApiVersions(ranges)}\n`);
        } catch (e) {
          failed = true;
          io.out(`${node} -> ERROR: ${describeError(e)}\n`);
        }
      }
      return failed ? 1 : 0;
    } finally {
      await admin.close();
    }
  },
};
