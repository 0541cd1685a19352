import { GROUP_METADATA_TOPIC } from '../../metadata/topic-name.js';
import { InternalTopicCoordinatorLoader } from '../internal-topic.js';
import { PartitionLogWriter } from '../runtime.js';
import { groupConfigFrom } from './group-config.js';
import { GroupCoordinator } from './group-coordinator.js';
export class BrokerGroupCoordinator {
    host;
    coordinator;
    unsubscribe = null;
    log;
    loader;
    constructor(host) {
        this.host = host;
        this.log = host.log.child('org.apache.kafka.coordinator.group.GroupCoordinatorService');
        const writer = new PartitionLogWriter((p) => host.partitions.getPartition(GROUP_METADATA_TOPIC, p), host.clock);
        const topics = {
            byName: (name) => {
                const t = host.topics.image.topic(name);
                return t === undefined ? undefined : { id: t.id, numPartitions: t.partitions.length };
            },
            nameOf: (id) => host.topics.image.topicsById.get(id)?.name,
        };
        this.coordinator = new GroupCoordinator({ clock: host.clock, config: groupConfigFrom(host.config), writer, log: this.log, topics: () => topics });
        const config = host.config;
        this.loader = new InternalTopicCoordinatorLoader(host, this.coordinator, () => ({
            name: GROUP_METADATA_TOPIC,
            numPartitions: config.int('offsets.topic.num.partitions'),
            replicationFactor: config.int('offsets.topic.replication.factor'),
            configs: {
                'cleanup.policy': 'compact',
                'compression.type': 'producer',
                'segment.bytes': String(config.int('offsets.topic.segment.bytes')),
            },
        }), this.log);
    }
    /** Loads the partitions this broker leads and follows metadata changes. */
    start() {
        this.unsubscribe = this.host.topics.onChange((image, delta) => {
            this.loader.reconcile(image);
            this.coordinator.onTopicsDeleted(delta.deletedTopics.map((t) => t.name).filter((n) => n !== GROUP_METADATA_TOPIC));
        });
        this.loader.reconcile(this.host.topics.image);
    }
    stop() {
        this.unsubscribe?.();
        this.unsubscribe = null;
        this.coordinator.close();
        this.loader.clear();
    }
    /** Creates `__consumer_offsets` if it does not exist yet (Kafka does it on the first FindCoordinator). */
    ensureTopic() {
        return this.loader.ensureTopic();
    }
    /** The node leading a group's partition, or null when the topic or partition is not there yet. */
    coordinatorNodeFor(groupId) {
        return this.loader.coordinatorNodeFor(groupId);
    }
}
//# sourceMappingURL=broker-group-coordinator.js.map