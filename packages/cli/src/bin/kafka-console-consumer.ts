#!/usr/bin/env node
// kafka-console-consumer(.sh): the same tool as `samsa console-consumer`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('console-consumer')!, process.argv.slice(2), processIo()));
