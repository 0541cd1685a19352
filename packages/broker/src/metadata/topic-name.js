/** Kafka's topic name rules (org.apache.kafka.common.internals.Topic). */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const GROUP_METADATA_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';
const INTERNAL_TOPICS = new Set([GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC]);
export function isInternalTopic(name) {
    return INTERNAL_TOPICS.has(name);
}
/** Returns why a topic name is invalid (Kafka's wording), or null when it is legal. */
export function topicNameError(name) {
    if (name.length === 0)
        return 'Topic name is illegal, it can\'t be empty';
    if (name === '.' || name === '..')
        return 'Topic name cannot be "." or ".."';
    if (name.length > MAX_TOPIC_NAME_LENGTH)
        return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
    if (!LEGAL.test(name))
        return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
    return null;
}
/** Kafka warns when names collide once '.' and '_' are treated alike (metric names). */
export function unifyCollisionChars(name) {
    return name.replace(/\./g, '_');
}
//# sourceMappingURL=topic-name.js.map