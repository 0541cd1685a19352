// Issue 13 item 1: a second broker started on the same log.dirs ran beside the first, both
// acknowledged writes, and 71% of one broker's acknowledged records were lost. Kafka takes a
// `.lock` on every log directory and the second broker refuses to start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { Broker } from '../../src/broker.js';
import { lockRefusedMessage } from '../../src/util/dir-lock.js';
import { freePort, spawnSamsa, startServer } from '../support/server-process.js';
import { WireClient } from '../testkit/wire-client.js';

async function properties(dir: string, logDirs: string): Promise<string> {
  const path = join(dir, `server-${Math.random().toString(36).slice(2)}.properties`);
  writeFileSync(path, `listeners=PLAINTEXT://127.0.0.1:${await freePort()}\nlog.dirs=${logDirs}\noffsets.topic.replication.factor=1\n`);
  return path;
}

test('two samsa server processes on one log.dirs: the second refuses with Kafka\'s message and a non-zero exit; after kill -9 of the first, a restart takes the stale lock', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-lock-'));
  const logs = join(dir, 'logs');
  const extra = join(dir, 'logs-2');
  let first: Awaited<ReturnType<typeof startServer>> | null = null;
  let third: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    first = await startServer(await properties(dir, logs), [], { LOG_DIR: join(dir, 'out-1') });
    assert.match(readFileSync(join(logs, '.lock'), 'utf8'), new RegExp(`^pid=${first.child.pid}$`, 'm'));

    // Same directory (named second among two, so the first directory alone is fine).
    const second = spawnSamsa(['server', await properties(dir, `${extra},${logs}`)], { LOG_DIR: join(dir, 'out-2') });
    let stderr = '';
    second.stderr!.on('data', (d) => (stderr += d));
    second.stdout!.resume();
    const code = await new Promise<number | null>((r) => second.on('exit', (c) => r(c)));
    assert.notEqual(code, 0);
    assert.ok(stderr.includes('ERROR Exiting Kafka due to fatal exception during startup.'), stderr);
    assert.ok(stderr.includes(`KafkaException: ${lockRefusedMessage(logs)}`), stderr);
    assert.ok(!existsSync(join(extra, '.lock')), 'the locks it did take are released');

    // The first broker is untouched and still serves.
    const port = Number(/listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/.exec(readFileSync(first.child.spawnargs.at(-1)!, 'utf8'))![1]);
    const c = await WireClient.connect(port);
    const md = await c.send(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    assert.equal(md.topics.length, 0);
    c.close();

    // kill -9 leaves the lock file behind; its holder is gone, so a restart takes it over.
    first.child.kill('SIGKILL');
    await first.exited;
    first = null;
    assert.ok(existsSync(join(logs, '.lock')));
    third = await startServer(await properties(dir, logs), [], { LOG_DIR: join(dir, 'out-3') });
    assert.match(readFileSync(join(logs, '.lock'), 'utf8'), new RegExp(`^pid=${third.child.pid}$`, 'm'));
    third.child.kill('SIGTERM');
    assert.equal(await third.exited, 0);
    third = null;
    assert.ok(!existsSync(join(logs, '.lock')), 'a clean shutdown releases the lock');
  } finally {
    first?.child.kill('SIGKILL');
    third?.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in one process: a second broker on a locked directory refuses; Kafka\'s empty .lock and a dead holder\'s lock do not block', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-lock-'));
  const config = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': dir, 'offsets.topic.replication.factor': '1' };
  try {
    writeFileSync(join(dir, '.lock'), ''); // what a Kafka broker leaves behind
    const a = new Broker({ config });
    await a.start();
    const b = new Broker({ config });
    await assert.rejects(b.start(), { name: 'KafkaException', message: lockRefusedMessage(dir) });
    await a.stop();
    // A holder that no longer exists (pid 2^22+1 is beyond Linux's pid_max default).
    writeFileSync(join(dir, '.lock'), 'pid=4194305\nstartTime=1\nhost=elsewhere\n');
    const c = new Broker({ config });
    await c.start();
    assert.equal(c.isRunning, true);
    await c.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
