#!/usr/bin/env node
// kafka-consumer-perf-test(.sh): the same tool as `samsa consumer-perf-test`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('consumer-perf-test')!, process.argv.slice(2), processIo()));
