#!/usr/bin/env node
// kafka-console-producer(.sh): the same tool as `samsa console-producer`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('console-producer')!, process.argv.slice(2), processIo()));
