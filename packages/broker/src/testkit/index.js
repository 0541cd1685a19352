/**
 * In-process brokers for tests: `startBroker()` starts one on 127.0.0.1 with an ephemeral port
 * in milliseconds (memory storage by default). Use `bootstrap` as the client's broker list.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../broker.js';
export { FakeClock, SystemClock, systemClock } from '../util/clock.js';
export { Broker } from '../broker.js';
export { createLogger, Logger } from '../util/log.js';
export { requestChannel } from '../server/request-router.js';
export { startZooKeeper, startEtcd, freePort, zooKeeperJavaArgs, ZOOKEEPER_JAR } from './coordination-services.js';
export { startCluster } from './cluster.js';
/**
 * The storage of brokers that do not choose one: memory, or `SAMSA_TESTKIT_STORAGE=file` (the
 * test runner passes the broker-level suites once more on the file engine that way).
 */
function defaultStorage() {
    return process.env['SAMSA_TESTKIT_STORAGE'] === 'file' ? 'file' : 'memory';
}
export async function startBroker(opts = {}) {
    const storage = opts.storage ?? defaultStorage();
    let dataDir = null;
    let ownsDir = false;
    if (storage === 'file') {
        dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'samsa-test-'));
        ownsDir = opts.dataDir === undefined;
    }
    const config = {
        listeners: `PLAINTEXT://127.0.0.1:${opts.port ?? 0}`,
        'advertised.listeners': `PLAINTEXT://localhost:${opts.port ?? 0}`,
        'group.initial.rebalance.delay.ms': '0',
        'offsets.topic.replication.factor': '1',
        'transaction.state.log.replication.factor': '1',
        'transaction.state.log.min.isr': '1',
        ...(dataDir !== null ? { 'log.dirs': dataDir } : {}),
        ...opts.config,
    };
    const brokerOpts = { config, storage };
    if (opts.clock !== undefined)
        brokerOpts.clock = opts.clock;
    if (opts.handlers !== undefined)
        brokerOpts.handlers = opts.handlers;
    if (opts.appendHook !== undefined)
        brokerOpts.appendHook = opts.appendHook;
    if (opts.logger !== undefined)
        brokerOpts.logger = opts.logger;
    if (opts.metadataStore !== undefined)
        brokerOpts.metadataStore = opts.metadataStore;
    const broker = new Broker(brokerOpts);
    await broker.start();
    const port = broker.boundListeners[0].port;
    const adv = broker.advertisedListener(broker.boundListeners[0].name);
    return {
        host: '127.0.0.1',
        port,
        bootstrap: `${adv.host}:${port}`,
        broker,
        dataDir,
        async stop() {
            await broker.stop();
            if (ownsDir && dataDir !== null)
                rmSync(dataDir, { recursive: true, force: true });
        },
    };
}
//# sourceMappingURL=index.js.map