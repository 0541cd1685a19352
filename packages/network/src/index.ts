export * from './errors.js';
export * from './connection.js';
