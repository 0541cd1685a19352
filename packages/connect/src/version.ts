/** The Kafka Connect version this runtime follows (reported by GET / and plugin versions). */
export const VERSION_STRING = '3.9.0';
export const COMMIT_ID = 'samsa';
