export * from './errors.js';
export * from './image.js';
export * from './metadata-store.js';
export * from './meta-properties.js';
export * from './topic-manager.js';
export * from './topic-name.js';
export * from './uuid.js';
