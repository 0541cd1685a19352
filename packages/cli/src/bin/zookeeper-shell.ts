#!/usr/bin/env node
// zookeeper-shell(.sh): the tutorials' ZooKeeper command.
import { runZookeeperShell } from '../commands/zookeeper.js';
import { processIo, runAsProcess } from '../tool.js';

await runAsProcess(() => runZookeeperShell(process.argv.slice(2), processIo()));
