#!/usr/bin/env node
// connect-standalone(.sh): a standalone Kafka Connect worker.
import { main } from '../connect.js';

process.exitCode = await main('standalone', process.argv.slice(2));
process.exit();
