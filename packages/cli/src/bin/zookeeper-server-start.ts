#!/usr/bin/env node
// zookeeper-server-start(.sh): the tutorials' ZooKeeper command.
import { runZookeeperServerStart } from '../commands/zookeeper.js';
import { processIo, runAsProcess } from '../tool.js';

await runAsProcess(() => runZookeeperServerStart(process.argv.slice(2), processIo()));
