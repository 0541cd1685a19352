#!/usr/bin/env node
// kafka-get-offsets(.sh): the same tool as `samsa get-offsets`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('get-offsets')!, process.argv.slice(2), processIo()));
