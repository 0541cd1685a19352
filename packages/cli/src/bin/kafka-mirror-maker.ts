#!/usr/bin/env node
// kafka-mirror-maker(.sh): the same tool as `samsa mirror-maker`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('mirror-maker')!, process.argv.slice(2), processIo()));
