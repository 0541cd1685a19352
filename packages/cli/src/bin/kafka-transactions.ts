#!/usr/bin/env node
// kafka-transactions(.sh): the same tool as `samsa transactions`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('transactions')!, process.argv.slice(2), processIo()));
