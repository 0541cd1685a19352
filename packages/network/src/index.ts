export * from './errors.js';
export * from './connection.js';
export * from './sasl.js';
export { FrameReader } from './frame-reader.js';
