#!/usr/bin/env node
// kafka-topics(.sh): the same tool as `samsa topics`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('topics')!, process.argv.slice(2), processIo()));
