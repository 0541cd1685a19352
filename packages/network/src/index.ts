export * from './errors.js';
export * from './connection.js';
export * from './sasl.js';
