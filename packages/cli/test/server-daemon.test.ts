// Issue 13 item 8: Kafka-style logs/server.log (or $LOG_DIR), `kafka-server-start -daemon` that
// really detaches, and `kafka-server-stop`. The stop is always given this test's properties file,
// so it signals only the broker this test started (other brokers run on this machine).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockHolderPid } from '@samsa/broker';
import { run, waitFor } from './support.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const sessionOf = (pid: number): string => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]!;
};

test('kafka-server-start -daemon detaches and logs to $LOG_DIR/server.log; kafka-server-stop stops it cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-daemon-'));
  const logs = join(dir, 'kafka-logs');
  const logDir = join(dir, 'log-dir');
  const props = join(dir, 'server.properties');
  writeFileSync(props, `listeners=PLAINTEXT://127.0.0.1:${await freePort()}\nlog.dirs=${logs}\noffsets.topic.replication.factor=1\n`);
  let pid: number | null = null;
  try {
    const started = await run('kafka-server-start', ['-daemon', props], { env: { LOG_DIR: logDir, SAMSA_LOG: 'INFO' }, timeoutMs: 15_000 });
    assert.equal(started.code, 0, started.stderr);
    await waitFor(() => existsSync(join(logDir, 'server.log')) && readFileSync(join(logDir, 'server.log'), 'utf8').includes('started (cluster'), 'the daemon to start');
    pid = lockHolderPid(logs);
    assert.ok(pid !== null && alive(pid), 'the broker runs after the start command returned');
    assert.notEqual(sessionOf(pid), sessionOf(process.pid), 'in a session of its own');
    assert.ok(existsSync(join(logDir, 'kafkaServer.out')));
    assert.match(readFileSync(join(logDir, 'server.log'), 'utf8'), /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\] INFO .*\(kafka\.server\.KafkaServer\)$/m);

    const stopped = await run('kafka-server-stop', [props]);
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
    const daemon = pid;
    await waitFor(() => !alive(daemon), 'the broker to exit');
    pid = null;
    assert.match(readFileSync(join(logDir, 'server.log'), 'utf8'), /shut down completed/);
    assert.ok(existsSync(join(logs, '.kafka_cleanshutdown')));

    const again = await run('kafka-server-stop', [props]);
    assert.equal(again.code, 1);
    assert.equal(again.stdout, 'No kafka server to stop\n');
  } finally {
    if (pid !== null && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
