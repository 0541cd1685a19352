#!/usr/bin/env node
// connect-distributed(.sh): a distributed Kafka Connect worker.
import { main } from '../connect.js';

process.exitCode = await main('distributed', process.argv.slice(2));
process.exit();
