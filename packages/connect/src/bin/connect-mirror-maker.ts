#!/usr/bin/env node
// connect-mirror-maker(.sh): MirrorMaker 2 in dedicated mode.
import { mirrorMakerMain } from '../mirror/mirror-maker.js';

process.exitCode = await mirrorMakerMain(process.argv.slice(2));
process.exit();
