/**
 * kafka-log-dirs --describe: DescribeLogDirs on the chosen brokers (all by default), printed as
 * Kafka's JSON: {"brokers":[{"broker":0,"logDirs":[{"partitions":[{"partition":"t-0","size":0,
 * "offsetLag":0,"isFuture":false}],"error":null,"logDir":"/path"}]}],"version":1}.
 */
import { Admin } from '@samsa/client';
import { UsageError, type ToolSpec } from '../args.js';
import { tp } from '../format.js';
import { bootstrapList, clusterOptions, loadProperties, type Tool, ToolError } from '../tool.js';

export const logDirsSpec: ToolSpec = {
  name: 'kafka-log-dirs',
  summary: 'This tool helps to query log directory usage on the specified brokers.',
  options: [
    { name: 'bootstrap-server', kind: 'value', metavar: 'String: The server(s) to use for bootstrapping', description: 'REQUIRED: the server(s) to use for bootstrapping' },
    { name: 'command-config', kind: 'value', metavar: 'String: Admin client property file', description: 'Property file containing configs to be passed to Admin Client.' },
    { name: 'describe', kind: 'flag', description: 'Describe the specified log directories on the specified brokers.' },
    { name: 'broker-list', kind: 'value', metavar: 'String: Broker list', description: 'The list of brokers to be queried in the form "0,1,2". All brokers in the cluster will be queried if no broker list is specified' },
    { name: 'topic-list', kind: 'value', metavar: 'String: Topic list', default: '', description: 'The list of topics to be queried in the form "topic1,topic2,topic3". All topics will be queried if no topic list is specified' },
  ],
};

export const logDirsTool: Tool = {
  spec: logDirsSpec,
  async run(a, io) {
    if (!a.has('describe')) throw new UsageError('Missing required argument "[describe]"');
    a.checkRequired('bootstrap-server');
    const topics = (a.value('topic-list') ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
    const props = a.has('command-config') ? loadProperties(a.required('command-config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
    try {
      const existing = (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((x, y) => x - y);
      let brokers = existing;
      if (a.has('broker-list')) {
        brokers = a.required('broker-list').split(',').map((s) => {
          const n = Number(s.trim());
          if (!Number.isInteger(n)) throw new ToolError(`For input string: "${s}"`);
          return n;
        });
        const missing = brokers.filter((b) => !existing.includes(b));
        if (missing.length > 0) throw new ToolError(`ERROR: The given brokers do not exist from --broker-list: ${missing.join(',')}. Current existent brokers: ${existing.join(',')}`);
      }
      io.out('Querying brokers for log directories information\n');
      const dirs = (await admin.describeLogDirs()).filter((d) => brokers.includes(d.broker));
      io.out(`Received log directory information from brokers ${brokers.join(',')}\n`);
      const json = {
        brokers: brokers.map((broker) => ({
          broker,
          logDirs: dirs.filter((d) => d.broker === broker).map((d) => ({
            partitions: d.partitions
              .filter((p) => topics.length === 0 || topics.includes(p.topic))
              .map((p) => ({ partition: tp(p.topic, p.partition), size: Number(p.size), offsetLag: Number(p.offsetLag), isFuture: p.isFuture })),
            error: null,
            logDir: d.logDir,
          })),
        })),
        version: 1,
      };
      io.out(`${JSON.stringify(json)}\n`);
      return 0;
    } finally {
      await admin.close();
    }
  },
};
