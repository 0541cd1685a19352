#!/usr/bin/env node
// kafka-cluster(.sh): the same tool as `samsa cluster`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('cluster')!, process.argv.slice(2), processIo()));
