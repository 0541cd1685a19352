#!/usr/bin/env node
// kafka-consumer-groups(.sh): the same tool as `samsa consumer-groups`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('consumer-groups')!, process.argv.slice(2), processIo()));
