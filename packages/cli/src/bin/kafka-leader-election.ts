#!/usr/bin/env node
// kafka-leader-election(.sh): the same tool as `samsa leader-election`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('leader-election')!, process.argv.slice(2), processIo()));
