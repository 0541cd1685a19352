#!/usr/bin/env node
// kafka-acls(.sh): the same tool as `samsa acls`.
import { processIo, runAsProcess, runTool } from '../tool.js';
import { TOOLS } from '../tools.js';

await runAsProcess(() => runTool(TOOLS.get('acls')!, process.argv.slice(2), processIo()));
