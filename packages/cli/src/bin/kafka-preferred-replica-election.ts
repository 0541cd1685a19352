#!/usr/bin/env node
// kafka-preferred-replica-election(.sh): the same tool as `samsa preferred-replica-election`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('preferred-replica-election')!, process.argv.slice(2), processIo()));
