// @samsa/protocol: Kafka wire protocol codecs, generated from Kafka's message schemas.
export * from './primitives/errors.js';
export * from './primitives/reader.js';
export * from './primitives/tagged.js';
export * from './primitives/writer.js';
export * from './generated/index.js';
export * from './apis.js';
export * from './errors.js';
export * from './records/index.js';
