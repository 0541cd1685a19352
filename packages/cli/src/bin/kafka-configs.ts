#!/usr/bin/env node
// kafka-configs(.sh): the same tool as `samsa configs`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('configs')!, process.argv.slice(2), processIo()));
