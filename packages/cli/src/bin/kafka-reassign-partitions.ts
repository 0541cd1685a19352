#!/usr/bin/env node
// kafka-reassign-partitions(.sh): the same tool as `samsa reassign-partitions`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('reassign-partitions')!, process.argv.slice(2), processIo()));
