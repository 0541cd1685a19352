/** The testkit's `samsa server` child processes, under the name the broker tests import. */
export { freePort, spawnSamsa, startServer, type ServerProcess } from '../../src/testkit/server-process.js';
