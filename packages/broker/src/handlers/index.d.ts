import type { ApiHandler } from './types.js';
export declare const handlers: readonly ApiHandler[];
export * from './types.js';
