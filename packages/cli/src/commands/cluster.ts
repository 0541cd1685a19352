/**
 * kafka-cluster: `cluster-id` prints the cluster's id; `unregister --id N` removes a broker's
 * registration where the cluster serves UnregisterBroker (KRaft). Samsa's clusters keep broker
 * registrations in ZooKeeper or etcd sessions (or run one node), as Kafka's ZooKeeper mode: a
 * broker unregisters by stopping, and the tool prints Kafka's answer for clusters without the
 * API.
 */
import { Admin, UnsupportedApiError } from '@samsa/client';
import type { ToolSpec } from '../args.js';
import { bootstrapList, clusterOptions, loadProperties, type Tool, ToolError } from '../tool.js';

const COMMANDS = ['cluster-id', 'unregister'] as const;

export const clusterSpec: ToolSpec = {
  name: 'kafka-cluster',
  summary: 'The Kafka cluster tool.',
  subcommands: COMMANDS,
  options: [
    { name: 'bootstrap-server', aliases: ['b'], kind: 'value', description: 'A list of host/port pairs to use for establishing the connection to the Kafka cluster.' },
    { name: 'bootstrap-controller', aliases: ['C'], kind: 'value', description: 'A list of host/port pairs to use for establishing the connection to the KRaft controllers.' },
    { name: 'config', aliases: ['c'], kind: 'value', description: 'A property file containing configurations for the Admin client.' },
    { name: 'id', aliases: ['i'], kind: 'value', description: 'The ID of the broker to unregister.' },
  ],
};

export const clusterTool: Tool = {
  spec: clusterSpec,
  async run(a, io) {
    const command = a.value('command');
    if (command === undefined) throw new ToolError(`A sub-command is required: one of ${COMMANDS.join(', ')}`);
    if (a.has('bootstrap-controller')) {
      if (a.has('bootstrap-server')) throw new ToolError('argument --bootstrap-controller/-C: not allowed with argument --bootstrap-server/-b');
      throw new ToolError('--bootstrap-controller: Samsa runs no KRaft controllers; use --bootstrap-server');
    }
    if (!a.has('bootstrap-server')) throw new ToolError('one of the arguments --bootstrap-server/-b --bootstrap-controller/-C is required');
    if (command === 'unregister' && !a.has('id')) throw new ToolError('argument --id/-i is required');
    const props = a.has('config') ? loadProperties(a.required('config')) : new Map<string, string>();
    const admin = new Admin(clusterOptions(bootstrapList(a.required('bootstrap-server')), props, 'adminclient-1'));
    try {
      if (command === 'cluster-id') {
        const { clusterId } = await admin.describeCluster();
        io.out(clusterId !== null ? `Cluster ID: ${clusterId}\n` : 'No cluster ID found. The Kafka version is probably too old.\n');
        return 0;
      }
      const id = a.int('id')!;
      try {
        await admin.unregisterBroker(id);
        io.out(`Broker ${id} is no longer registered.\n`);
      } catch (e) {
        if (!(e instanceof UnsupportedApiError)) throw e;
        io.out('The target cluster does not support the broker unregistration API.\n');
      }
      return 0;
    } finally {
      await admin.close();
    }
  },
};
