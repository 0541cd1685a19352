/** Every command-line tool, by the name after `samsa` and its Kafka script name (kafka-<name>.sh). */
import { aclsTool } from './commands/acls.js';
import { brokerApiVersionsTool } from './commands/broker-api-versions.js';
import { clusterTool } from './commands/cluster.js';
import { configsTool } from './commands/configs.js';
import { consoleConsumerTool } from './commands/console-consumer.js';
import { consoleProducerTool } from './commands/console-producer.js';
import { consumerGroupsTool } from './commands/consumer-groups.js';
import { consumerPerfTool } from './commands/consumer-perf-test.js';
import { deleteRecordsTool } from './commands/delete-records.js';
import { dumpLogTool } from './commands/dump-log.js';
import { getOffsetsTool } from './commands/get-offsets.js';
import { leaderElectionTool, preferredReplicaElectionTool } from './commands/leader-election.js';
import { reassignPartitionsTool } from './commands/reassign-partitions.js';
import { logDirsTool } from './commands/log-dirs.js';
import { mirrorMakerTool } from './commands/mirror-maker.js';
import { producerPerfTool } from './commands/producer-perf-test.js';
import { topicsTool } from './commands/topics.js';
import { transactionsTool } from './commands/transactions.js';
import type { Tool } from './tool.js';

export const TOOLS: ReadonlyMap<string, Tool> = new Map([
  ['topics', topicsTool],
  ['console-producer', consoleProducerTool],
  ['console-consumer', consoleConsumerTool],
  ['consumer-groups', consumerGroupsTool],
  ['configs', configsTool],
  ['producer-perf-test', producerPerfTool],
  ['consumer-perf-test', consumerPerfTool],
  ['get-offsets', getOffsetsTool],
  ['delete-records', deleteRecordsTool],
  ['dump-log', dumpLogTool],
  ['leader-election', leaderElectionTool],
  ['preferred-replica-election', preferredReplicaElectionTool],
  ['reassign-partitions', reassignPartitionsTool],
  ['broker-api-versions', brokerApiVersionsTool],
  ['log-dirs', logDirsTool],
  ['cluster', clusterTool],
  ['mirror-maker', mirrorMakerTool],
  ['transactions', transactionsTool],
  ['acls', aclsTool],
]);

/** `topics`, `kafka-topics` and `kafka-topics.sh` all name the same tool. */
export function findTool(name: string): Tool | undefined {
  return TOOLS.get(name.replace(/\.sh$/, '').replace(/^kafka-/, ''));
}
