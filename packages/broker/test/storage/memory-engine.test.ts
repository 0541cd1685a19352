import { runConformance } from './conformance.js';
import { MemoryStorageEngine } from '../../src/storage/memory-engine.js';

runConformance({
  name: 'memory',
  create: (now) => new MemoryStorageEngine({ now }),
  cleanup: () => {},
});
