#!/usr/bin/env node
// kafka-dump-log(.sh): the same tool as `samsa dump-log`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('dump-log')!, process.argv.slice(2), processIo()));
