#!/usr/bin/env node
// kafka-server-start.sh server.properties [--override property=value]*
import { runServer } from '../commands/server.js';

process.exitCode = await runServer(process.argv.slice(2));
