// The progress reporter: a `\r` line on a TTY, throttled, cleared at the end; nothing at all on a pipe. And
// `biplane analyze` piped prints findings only, no progress.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { progressReporter, type ProgressStream } from '../../src/cli/progress.ts';

const REPO = path.join(import.meta.dirname, '../..');

/** A stream that records writes, TTY or not. */
function fakeStream(isTTY: boolean, columns = 80): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns, writes, write: (text: string) => writes.push(text) };
}

test('on a TTY each update rewrites one line in place and done clears it', () => {
  const stream = fakeStream(true);
  let now = 0;
  const p = progressReporter(stream, { intervalMs: 100, now: () => now });
  p.update('reading');
  now = 150;
  p.update('checking');
  p.done();
  assert.equal(stream.writes.length, 3);
  assert.ok(stream.writes.every((w) => w.startsWith('\r') && !w.includes('\n')), JSON.stringify(stream.writes));
  assert.match(stream.writes[0] ?? '', /reading/);
  assert.match(stream.writes[1] ?? '', /checking/);
  assert.equal(stream.writes[2], '\r\x1b[K');
});

test('updates closer together than the interval are dropped, except the last step', () => {
  const stream = fakeStream(true);
  let now = 1000;
  const p = progressReporter(stream, { intervalMs: 100, now: () => now });
  for (let i = 0; i < 50; i++) {
    p.step('checking proxies', i, 50);
    now += 10;
  }
  p.step('checking proxies', 50, 50);
  // 50 steps over 500 ms at one per 100 ms: 5 shown, plus the final one that is always shown.
  assert.equal(stream.writes.length, 6, JSON.stringify(stream.writes));
  assert.match(stream.writes.at(-1) ?? '', /checking proxies 50\/50/);
});

test('a line longer than the terminal is cut, so the carriage return stays on one line', () => {
  const stream = fakeStream(true, 20);
  progressReporter(stream).update('x'.repeat(100));
  const shown = (stream.writes[0] ?? '').replace('\r', '').replace('\x1b[K', '');
  assert.ok(shown.length <= 19, shown);
});

test('on a stream that is not a TTY the reporter writes nothing', () => {
  const stream = fakeStream(false);
  let now = 0;
  const p = progressReporter(stream, { now: () => (now += 1000) });
  p.update('reading');
  p.step('checking', 3, 3);
  p.done();
  assert.deepEqual(stream.writes, []);
});

test('biplane analyze piped prints its findings and no progress', async () => {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/biplane.js'), 'analyze', '--manifests', path.join(REPO, 'examples/demo')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, err);
  assert.match(out, /proxies/);
  assert.equal(err, '', 'stderr of a piped analyze');
  assert.ok(!out.includes('\r') && !out.includes('checking proxies'));
});
