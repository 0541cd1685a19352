#!/usr/bin/env node
// kafka-producer-perf-test(.sh): the same tool as `samsa producer-perf-test`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('producer-perf-test')!, process.argv.slice(2), processIo()));
