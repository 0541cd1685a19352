#!/usr/bin/env node
// kafka-delete-records(.sh): the same tool as `samsa delete-records`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('delete-records')!, process.argv.slice(2), processIo()));
