// The push path's metrics: the event-loop delay as a Prometheus summary, and the queue's figures on /metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopDelay } from '../../src/server/loop-delay.ts';
import { MetricsRegistry, serverMetrics } from '../../src/server/metrics.ts';
import { serveFolder } from './served-folder.ts';

test('a summary renders its quantiles, sum and count in the Prometheus text format', () => {
  const r = new MetricsRegistry();
  r.define('x_seconds', 'summary', 'A summary.');
  r.summarize('x_seconds', { quantiles: [[0.5, 0.25], [0.99, 1.5]], sum: 3, count: 4 });
  assert.equal(r.render(), [
    '# HELP x_seconds A summary.',
    '# TYPE x_seconds summary',
    'x_seconds{quantile="0.5"} 0.25',
    'x_seconds{quantile="0.99"} 1.5',
    'x_seconds_sum 3',
    'x_seconds_count 4',
    '',
  ].join('\n'));
});

test('the event-loop delay is sampled and each report starts a new interval', async () => {
  const metrics = serverMetrics();
  const delay = new LoopDelay(1);
  try {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 2));
    delay.report(metrics);
    const text = metrics.render();
    const count = Number(/^biplane_event_loop_delay_seconds_count (\d+)$/m.exec(text)?.[1]);
    assert.ok(count > 0, text);
    for (const q of ['0.5', '0.9', '0.99', '1']) assert.match(text, new RegExp(`^biplane_event_loop_delay_seconds\\{quantile="${q}"\\} [0-9.e-]+$`, 'm'));
    delay.report(metrics);
    const again = Number(/^biplane_event_loop_delay_seconds_count (\d+)$/m.exec(metrics.render())?.[1]);
    assert.ok(again < count, `the second report (${again}) counts only what came after the first (${count})`);
  } finally {
    delay.stop();
  }
});

test('/metrics shows the push triggers, queue, in-flight streams and event-loop delay', { timeout: 30_000 }, async (t) => {
  const s = await serveFolder(t);
  const text = await (await fetch(`http://127.0.0.1:${s.server.adminPort}/metrics`)).text();
  assert.match(text, /^pilot_push_triggers\{trigger="config"\} 1$/m, 'the first model build');
  assert.match(text, /^biplane_push_queue_length 0$/m);
  assert.match(text, /^biplane_pushes_in_flight 0$/m);
  assert.match(text, /^biplane_event_loop_delay_seconds_count \d+$/m);
});
