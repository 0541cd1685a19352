/**
 * What the group and transaction coordinators share about their internal topic
 * (`__consumer_offsets`, `__transaction_state`): loading the partitions this broker leads and
 * unloading the others as metadata changes (Kafka's onElection / onResignation), creating the
 * topic on its first FindCoordinator, and finding the node that coordinates a key.
 */
import { ErrorCode } from '@samsa/protocol';
import { TopicOperationError } from '../metadata/errors.js';
export class InternalTopicCoordinatorLoader {
    host;
    coordinator;
    spec;
    log;
    /** Leader epoch each loaded partition was loaded at. */
    loadedEpochs = new Map();
    creating = null;
    constructor(host, coordinator, spec, log) {
        this.host = host;
        this.coordinator = coordinator;
        this.spec = spec;
        this.log = log;
    }
    get topic() {
        return this.spec().name;
    }
    /** Loads the partitions led here (at their leader epoch) and unloads those no longer led. */
    reconcile(image) {
        const name = this.topic;
        const topic = image.topic(name);
        const led = new Map();
        if (topic !== undefined) {
            // An existing topic decides the partition count (it may predate a config change), as in Kafka.
            this.coordinator.numPartitions = topic.partitions.length;
            for (const p of topic.partitions) {
                if (p.leader === this.host.nodeId && this.host.partitions.getPartition(name, p.partition)?.isLeader === true)
                    led.set(p.partition, p.leaderEpoch);
            }
        }
        for (const p of [...this.loadedEpochs.keys()]) {
            if (!led.has(p)) {
                this.coordinator.unloadPartition(p);
                this.loadedEpochs.delete(p);
            }
        }
        for (const [p, epoch] of led) {
            if (this.loadedEpochs.get(p) === epoch)
                continue;
            this.loadedEpochs.set(p, epoch);
            this.coordinator.loadPartition(p, epoch).catch((e) => this.log.error(`Failed to load ${name}-${p}`, e));
        }
    }
    clear() {
        this.loadedEpochs.clear();
    }
    /**
     * Creates the topic if it does not exist yet. Returns NONE, or COORDINATOR_NOT_AVAILABLE when
     * it cannot be created (e.g. a replication factor larger than the number of brokers, as in Kafka).
     */
    ensureTopic() {
        const spec = this.spec();
        if (this.host.topics.image.topic(spec.name) !== undefined)
            return Promise.resolve(ErrorCode.NONE);
        if (this.creating !== null)
            return this.creating;
        this.creating = this.host.topics.createTopic(spec).then((t) => {
            this.log.info(`Created internal topic ${spec.name} with ${t.partitions.length} partitions`);
            return ErrorCode.NONE;
        }, (e) => {
            if (e instanceof TopicOperationError && e.errorName === 'TOPIC_ALREADY_EXISTS')
                return ErrorCode.NONE;
            this.log.warn(`Cannot create ${spec.name}: ${e.message}`);
            return ErrorCode.COORDINATOR_NOT_AVAILABLE;
        }).finally(() => {
            this.creating = null;
        });
        return this.creating;
    }
    /** The node leading a key's partition, or null when the topic or partition is not there yet. */
    coordinatorNodeFor(key) {
        const topic = this.host.topics.image.topic(this.topic);
        const p = topic?.partitions[this.coordinator.partitionFor(key)];
        return p === undefined || p.leader < 0 ? null : p.leader;
    }
}
//# sourceMappingURL=internal-topic.js.map