#!/usr/bin/env node
// kafka-broker-api-versions(.sh): the same tool as `samsa broker-api-versions`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('broker-api-versions')!, process.argv.slice(2), processIo()));
