#!/usr/bin/env node
// kafka-server-stop.sh [server.properties]
import { runServerStop } from '../commands/server-stop.js';

process.exitCode = runServerStop(process.argv.slice(2));
