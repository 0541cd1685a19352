#!/usr/bin/env node
import { isServerCommand, main } from '../dispatch.js';
import { runAsProcess } from '../tool.js';

const argv = process.argv.slice(2);
if (isServerCommand(argv[0])) {
  // the broker runs until a signal; its shutdown sets the exit code
  process.exitCode = await main(argv);
} else {
  await runAsProcess(() => main(argv));
}
