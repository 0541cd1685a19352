// Log hygiene (issue 13 item 8): one line per malformed request flooded the log (16k lines in
// 160 s) and wrote raw client bytes into it. Lines are escaped, and what clients can trigger
// at will is rate-limited with a count of what was dropped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createLogger, escapeLogText } from '../../src/util/log.js';
import { startBroker } from '../../src/testkit/index.js';

test('escapeLogText: control characters, terminal escapes and lone surrogates become visible escapes; text and emoji stay', () => {
  assert.equal(escapeLogText('plain café 🙂'), 'plain café 🙂');
  assert.equal(escapeLogText('a\nb\r\tc\u0000\u001b[2J\u007f'), 'a\\nb\\r\\tc\\x00\\x1b[2J\\x7f');
  assert.equal(escapeLogText('x\ud800y\udc00'), 'x\\ud800y\\udc00');
  const lines: string[] = [];
  createLogger('c', { sink: (l) => lines.push(l), level: 'INFO' }).warn('client id \u001b[31mred\nfake line', new Error('bad\u0007'));
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /client id \\x1b\[31mred\\nfake line \(c\)\nError: bad\\x07/);
});

test('a rate-limited logger writes its burst, then its rate, and reports how many lines it dropped', () => {
  let now = 0;
  const lines: string[] = [];
  const log = createLogger('kafka.network.SocketServer', { sink: (l) => lines.push(l), level: 'INFO' }).rateLimited(10, 5, () => now);
  const child = log.child('x');
  for (let i = 0; i < 100; i++) child.info(`line ${i}`);
  assert.equal(lines.length, 5, 'the burst');
  now += 1000; // ten tokens
  for (let i = 0; i < 100; i++) log.info(`later ${i}`);
  assert.equal(lines.length, 5 + 1 + 5, 'a summary line, then up to the burst size');
  assert.match(lines[5]!, /WARN Suppressed 95 log line\(s\) in the last 1\.0 s \(at most 10 a second are written\)/);
  assert.match(lines[6]!, /INFO later 0 /);
  // At DEBUG, every line is written.
  const all: string[] = [];
  const debug = createLogger('d', { sink: (l) => all.push(l), level: 'DEBUG' }).rateLimited(1, 1, () => 0);
  for (let i = 0; i < 50; i++) debug.info('x');
  assert.equal(all.length, 50);
});

test('a flood of malformed requests writes a bounded, escaped log', async () => {
  const lines: string[] = [];
  // The connection log's rate limiter reads this clock: it stands still during the flood, so
  // no token comes back and exactly the burst gets through, however long the flood takes.
  let now = 0;
  const tb = await startBroker({ logger: createLogger('kafka.server.KafkaServer', { sink: (l) => lines.push(l), level: 'INFO', now: () => now }) });
  try {
    const floods = 600;
    const hostile = async (i: number): Promise<void> => {
      const s = connect({ port: tb.port, host: '127.0.0.1' });
      s.on('error', () => {});
      s.resume(); // read (and drop) the ApiVersions answer, so the close is seen
      await new Promise<void>((r) => s.once('connect', () => r()));
      // ApiVersions v0 names the client (an id with a terminal escape and a newline), then a
      // Metadata v1 whose topic count cannot fit the frame.
      const clientId = Buffer.from(`evil\u001b[2J\nFAKE ERROR ${i}`);
      const frame = (head: number[], tail: number[]): Buffer => {
        const body = Buffer.concat([Buffer.from(head), Buffer.from([0, clientId.length]), clientId, Buffer.from(tail)]);
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length);
        return Buffer.concat([size, body]);
      };
      s.write(Buffer.concat([frame([0, 18, 0, 0, 0, 0, 0, 1], []), frame([0, 3, 0, 1, 0, 0, 0, 2], [0x7f, 0xff, 0xff, 0xff])]));
      await new Promise<void>((r) => s.once('close', () => r()));
    };
    for (let i = 0; i < floods; i += 50) await Promise.all(Array.from({ length: 50 }, (_, j) => hostile(i + j)));
    const closes = lines.filter((l) => /Closing connection/.test(l));
    assert.ok(closes.length >= 1, 'closes are still logged');
    assert.equal(closes.length, 100, `close lines for ${floods} malformed requests: the burst of 100`);
    assert.ok(lines.every((l) => !l.includes('\u001b') && !/^FAKE ERROR/m.test(l)), 'no raw client bytes');
    assert.ok(closes.some((l) => l.includes('evil\\x1b[2J\\nFAKE ERROR')), closes[0]);
    // The dropped ones are accounted for once the limiter lets a line through again.
    now += 1000; // ten tokens
    await hostile(-1);
    const summaries = lines.filter((l) => /Suppressed \d+ log line/.test(l));
    assert.equal(summaries.length, 1, 'a summary of the dropped lines');
    assert.match(summaries[0]!, new RegExp(`WARN Suppressed ${floods - 100} log line\\(s\\) in the last 1\\.0 s \\(at most 10 a second are written\\)`));
  } finally {
    await tb.stop();
  }
});
