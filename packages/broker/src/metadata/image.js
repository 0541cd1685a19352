export class MetadataImage {
    clusterId;
    controllerId;
    brokers;
    topicsByName;
    fenced;
    topicsById;
    constructor(clusterId, controllerId, brokers, topicsByName, 
    /** This broker lost its store session: it must not act as leader until it rejoins. */
    fenced = false) {
        this.clusterId = clusterId;
        this.controllerId = controllerId;
        this.brokers = brokers;
        this.topicsByName = topicsByName;
        this.fenced = fenced;
        const byId = new Map();
        for (const t of topicsByName.values())
            byId.set(t.id, t);
        this.topicsById = byId;
    }
    topic(name) {
        return this.topicsByName.get(name);
    }
    broker(id) {
        return this.brokers.find((b) => b.nodeId === id);
    }
    /** Whether nodeId may act as the partition's leader now (not fenced, and the image says so). */
    isLeader(nodeId, topic, partition) {
        return !this.fenced && this.topicsByName.get(topic)?.partitions[partition]?.leader === nodeId;
    }
    withTopic(t) {
        const next = new Map(this.topicsByName);
        next.set(t.name, t);
        return new MetadataImage(this.clusterId, this.controllerId, this.brokers, next, this.fenced);
    }
    withoutTopic(name) {
        const next = new Map(this.topicsByName);
        next.delete(name);
        return new MetadataImage(this.clusterId, this.controllerId, this.brokers, next, this.fenced);
    }
}
//# sourceMappingURL=image.js.map