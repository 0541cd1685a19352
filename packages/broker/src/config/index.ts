export * from './config-def.js';
export * from './properties.js';
export * from './broker-config.js';
export * from './topic-config.js';
