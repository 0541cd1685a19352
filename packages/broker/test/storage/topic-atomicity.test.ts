// Issue 13 items 3 and 5: at 10,000 partitions creation failed with EMFILE but the topic stayed
// recorded; and deleting a topic on a full disk must work, though the local metadata store
// rewrites its file. On a tmpfs, with real causes: its inodes run out part-way through a
// creation (ENOSPC), and it is filled to 0 bytes free before a deletion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKey, ErrorCode } from '@samsa/protocol';
import { Broker } from '../../src/broker.js';
import { ZERO_UUID } from '../../src/metadata/uuid.js';
import { WireClient } from '../testkit/wire-client.js';
import { mountTmpfs, type Tmpfs } from './tmpfs.js';

function partitionDirs(logs: string, topic: string): string[] {
  return readdirSync(logs).filter((n) => n.startsWith(`${topic}-`));
}

async function createTopic(c: WireClient, name: string, numPartitions: number): Promise<{ errorCode: number; errorMessage: string | null }> {
  const r = await c.send(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  return r.topics[0]!;
}

async function topicError(c: WireClient, name: string): Promise<number> {
  const m = await c.send(ApiKey.Metadata, 12, { topics: [{ name, topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return m.topics[0]!.errorCode;
}

/**
 * A broker whose only log dir is on a fresh tmpfs of `size`, with a client connected; `restart()`
 * closes the client and starts a new broker on the same dir. Everything goes afterwards.
 */
async function onTmpfs(size: string, body: (env: { fs: Tmpfs; logs: string; c: WireClient; restart(): Promise<Broker> }) => Promise<void>): Promise<void> {
  const fs = mountTmpfs(size);
  const logs = join(fs.path, 'logs');
  const config = { listeners: 'PLAINTEXT://127.0.0.1:0', 'log.dirs': logs, 'offsets.topic.replication.factor': '1' };
  let broker = new Broker({ config });
  let c: WireClient | null = null;
  try {
    await broker.start();
    c = await WireClient.connect(broker.boundListeners[0]!.port);
    const restart = async (): Promise<Broker> => {
      c!.close();
      await broker.stop();
      broker = new Broker({ config });
      await broker.start();
      return broker;
    };
    await body({ fs, logs, c, restart });
  } finally {
    c?.close();
    await broker.stop();
    fs.unmount();
  }
}

test('a creation whose logs cannot all be made (inodes run out) records nothing, keeps no log, answers KAFKA_STORAGE_ERROR; once fixed, the retry succeeds', { timeout: 60_000 }, async () => {
  await onTmpfs('64m', async ({ fs, logs, c, restart }) => {
    // Room for a few partitions' files, not for 50.
    const used = statfsSync(fs.path).files - statfsSync(fs.path).ffree;
    execFileSync('mount', ['-o', `remount,nr_inodes=${used + 12}`, fs.path]);
    const failed = await createTopic(c, 'wide', 50);
    assert.equal(failed.errorCode, ErrorCode.KAFKA_STORAGE_ERROR, failed.errorMessage ?? '');
    assert.match(failed.errorMessage ?? '', /wide-\d+.*(ENOSPC|No space)/);
    assert.equal(await topicError(c, 'wide'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'the topic is not in the metadata');
    assert.deepEqual(partitionDirs(logs, 'wide'), [], 'no log of it is kept');

    execFileSync('mount', ['-o', 'remount,nr_inodes=100000', fs.path]);
    const retried = await createTopic(c, 'wide', 50);
    assert.equal(retried.errorCode, ErrorCode.NONE, retried.errorMessage ?? '');
    assert.equal(partitionDirs(logs, 'wide').length, 50);

    // And it survives a restart.
    const broker = await restart();
    assert.equal(broker.metadata.topic('wide')?.partitions.length, 50);
  });
});

test('DeleteTopics on a disk with 0 bytes free: the topic goes, its space is freed, and it stays deleted after a restart', { timeout: 60_000 }, async () => {
  await onTmpfs('16m', async ({ fs, logs, c, restart }) => {
    for (const name of ['kept', 'doomed']) assert.equal((await createTopic(c, name, 3)).errorCode, ErrorCode.NONE);
    // Fill the disk to its last byte.
    const filler = openSync(join(fs.path, 'filler'), 'w');
    const chunk = Buffer.alloc(64 * 1024, 1);
    try {
      for (;;) writeSync(filler, chunk);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    try {
      for (;;) writeSync(filler, chunk, 0, 1);
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    closeSync(filler);
    assert.equal(statfsSync(fs.path).bavail, 0, '0 bytes free');

    const r = await c.send(ApiKey.DeleteTopics, 6, { topics: [{ name: 'doomed', topicId: ZERO_UUID }], topicNames: [], timeoutMs: 10_000 });
    assert.equal(r.responses[0]!.errorCode, ErrorCode.NONE, r.responses[0]!.errorMessage ?? '');
    assert.equal(await topicError(c, 'doomed'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(partitionDirs(logs, 'doomed'), [], 'its logs are gone');
    assert.equal(await topicError(c, 'kept'), ErrorCode.NONE);

    const broker = await restart();
    assert.equal(broker.metadata.topic('doomed'), undefined, 'still deleted after a restart');
    assert.equal(broker.metadata.topic('kept')?.partitions.length, 3);
    assert.equal(existsSync(join(logs, 'kept-0')), true);
  });
});
