#!/usr/bin/env node
// kafka-log-dirs(.sh): the same tool as `samsa log-dirs`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('log-dirs')!, process.argv.slice(2), processIo()));
