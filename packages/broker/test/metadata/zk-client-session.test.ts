/**
 * The ZooKeeper client's session semantics against a real ZooKeeper, as Apache's ClientCnxn has
 * them: a server that takes the connection but never answers is left after session timeout /
 * servers (the next server of the connect string is tried); a server that goes silent (SIGSTOP)
 * is left after 2/3 of the session timeout ('disconnected'); the client never declares its own
 * session expired, however long it cannot reach a server: only a server does, on reconnect; and a
 * request made while disconnected waits for the session instead of failing.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { CreateMode, ZkCode, ZkError } from '../../src/metadata/zookeeper/jute.js';
import { ZkClient, type ZkSessionState } from '../../src/metadata/zookeeper/zk-client.js';
import { startZooKeeper, type CoordinationService } from '../../src/testkit/coordination-services.js';

const SESSION_TIMEOUT_MS = 3000;

let zk: CoordinationService;
/** Takes connections and never says a word: a member that is stopped or hung. */
let silent: Server;
const silentSockets = new Set<Socket>();

before(async () => {
  zk = await startZooKeeper();
  silent = createServer((s) => {
    silentSockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => silentSockets.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
});

after(async () => {
  try {
    process.kill(zk.pid, 'SIGCONT');
  } catch {
    // gone
  }
  for (const s of silentSockets) s.destroy();
  silent.close();
  await zk.stop();
});

test('a silent server is left for the next one; a stopped server costs a reconnect, never a self-declared expiry', async (t) => {
  const silentAddress = `127.0.0.1:${(silent.address() as { port: number }).port}`;
  const started = performance.now();
  const client = await ZkClient.connect({ connectString: `${silentAddress},${zk.connect}`, sessionTimeoutMs: SESSION_TIMEOUT_MS, connectionTimeoutMs: 30000 });
  try {
    // The silent server held the first attempt for its connect timeout (3000 / 2 servers), then the real one answered.
    assert.ok(performance.now() - started >= 1400, `left the silent server after ${Math.round(performance.now() - started)} ms`);
    assert.equal(client.currentServer, zk.connect);
    assert.equal(client.readTimeoutMs, 2000);
    const session = client.session;
    await client.create('/owned', Buffer.from('x'), CreateMode.EPHEMERAL);

    const events: Array<{ state: ZkSessionState; at: number }> = [];
    let sessionChanged = (): void => {};
    client.onSession((state) => {
      events.push({ state, at: performance.now() });
      sessionChanged();
    });
    /** Resolves at the session change that makes `seen()` true (fails the test after `timeoutMs`). */
    const sessionEvent = (what: string, seen: () => boolean, timeoutMs: number): Promise<void> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${what}: ${events.map((e) => e.state)}`)), timeoutMs);
      const check = (): void => {
        if (!seen()) return;
        clearTimeout(timer);
        resolve();
      };
      sessionChanged = check;
      check();
    });
    const stoppedAt = performance.now();
    process.kill(zk.pid, 'SIGSTOP');
    await sessionEvent('the client never left the stopped server', () => events.some((e) => e.state === 'disconnected'), 30000);
    const silentFor = events[0]!.at - stoppedAt;
    // The server answers pings every 1/3 of the timeout: silence for 2/3 of it means it is gone.
    assert.ok(silentFor >= 1900, `disconnected after ${Math.round(silentFor)} ms of silence (read timeout 2000 ms)`);

    // A read made now waits for the session to come back instead of failing.
    let settled = false;
    const read = client.getData('/owned').then(
      (r) => ((settled = true), { ok: r }),
      (e: unknown) => ((settled = true), { error: e }),
    );
    // Twice the session timeout with no server to talk to: the check is that nothing happens, so this is a wait, not a sync.
    await new Promise((r) => setTimeout(r, 2 * SESSION_TIMEOUT_MS));
    assert.deepEqual(events.map((e) => e.state), ['disconnected'], 'no self-declared expiry while no server answers');
    assert.equal(client.session, session, 'the session id is kept for the reconnect');
    assert.equal(settled, false, 'the read waits for the session');

    const resumedAt = performance.now();
    process.kill(zk.pid, 'SIGCONT');
    const outcome = await read;
    await sessionEvent('no session after the server resumed', () => events.some((e) => e.state === 'reconnected' || e.state === 'new-session'), 30000);
    // The resumed server may have expired the session itself (its clock ran on while stopped):
    // then, and only then, the client hears 'expired', and after the server resumed.
    const expired = events.find((e) => e.state === 'expired');
    t.diagnostic(`after the resume: ${events.map((e) => `${e.state} at +${Math.round(e.at - stoppedAt)} ms`).join(', ')} (resumed at +${Math.round(resumedAt - stoppedAt)} ms)`);
    if (expired === undefined) {
      assert.deepEqual(events.map((e) => e.state), ['disconnected', 'reconnected']);
      assert.equal(client.session, session);
      assert.equal((outcome as { ok: { data: Buffer } }).ok.data.toString(), 'x');
    } else {
      assert.ok(expired.at >= resumedAt, 'expiry came from the server after it resumed');
      assert.deepEqual(events.map((e) => e.state), ['disconnected', 'expired', 'new-session']);
      assert.notEqual(client.session, session);
      const error = (outcome as { error: unknown }).error;
      assert.ok(error instanceof ZkError && error.code === ZkCode.SESSION_EXPIRED, `the waiting read failed with SessionExpired: ${String(error)}`);
    }
    assert.notEqual(await client.exists('/'), null, 'the client serves requests again');
  } finally {
    await client.close();
  }
});
