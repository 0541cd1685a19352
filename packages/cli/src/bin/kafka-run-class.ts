#!/usr/bin/env node
// kafka-run-class(.sh): runs the Kafka classes Samsa ships (the Streams WordCountDemo).
import { main } from '../dispatch.js';
import { runAsProcess } from '../tool.js';

await runAsProcess(() => main(['kafka-run-class', ...process.argv.slice(2)]));
