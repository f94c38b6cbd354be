// The server's small parts on their own: debounce merging and capping, the Prometheus text format, and the
// content-keyed sharing of encoded resources.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Debouncer } from '../../src/server/debounce.ts';
import type { MergedChange } from '../../src/server/debounce.ts';
import { MetricsRegistry, typeLabel } from '../../src/server/metrics.ts';
import { TypeUrl } from '../../src/xds/index.ts';

const key = (name: string) => ({ kind: 'Pod' as const, namespace: 'demo', name });

test('a burst of changes becomes one flush with every key merged, after the quiet time', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const flushed: MergedChange[] = [];
    const d = new Debouncer({ quietMs: 100, maxMs: 1000 }, (c) => void flushed.push(c));
    d.add({ upserted: [key('a')], deleted: [] });
    mock.timers.tick(50);
    d.add({ upserted: [key('b')], deleted: [key('a')] });
    mock.timers.tick(99);
    assert.equal(flushed.length, 0);
    mock.timers.tick(1);
    await d.idle();
    assert.equal(flushed.length, 1);
    assert.deepEqual(flushed[0]?.upserted.map((k) => k.name), ['b']);
    assert.deepEqual(flushed[0]?.deleted.map((k) => k.name), ['a']);
    assert.equal(flushed[0]?.count, 2);
    await d.stop();
  } finally {
    mock.timers.reset();
  }
});

test('a never-quiet stream of changes is still flushed at the cap', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const flushed: MergedChange[] = [];
    const d = new Debouncer({ quietMs: 100, maxMs: 300 }, (c) => void flushed.push(c));
    for (let i = 0; i < 6; i++) {
      d.add({ upserted: [key(`p${i}`)], deleted: [] });
      mock.timers.tick(60);
    }
    await d.idle();
    assert.equal(flushed.length, 1, 'the cap fired while changes kept coming');
    assert.equal(flushed[0]?.count, 5);
    await d.stop();
    mock.timers.tick(1000);
    assert.equal(flushed.length, 1, 'stop drops the pending burst');
  } finally {
    mock.timers.reset();
  }
});

test('metrics render in Prometheus text format, sorted, with escaped labels and cumulative buckets', () => {
  const r = new MetricsRegistry();
  r.define('pilot_xds_pushes', 'counter', 'pushes');
  r.define('pilot_xds', 'gauge', 'connected');
  r.define('pilot_xds_push_time', 'histogram', 'push time', [0.1, 1]);
  r.inc('pilot_xds_pushes', { type: 'lds' });
  r.inc('pilot_xds_pushes', { type: 'cds' }, 2);
  r.inc('pilot_xds_pushes', { type: 'a"b\\c' });
  r.set('pilot_xds', 3);
  r.observe('pilot_xds_push_time', 0.05);
  r.observe('pilot_xds_push_time', 0.5);
  assert.equal(
    r.render(),
    [
      '# HELP pilot_xds connected',
      '# TYPE pilot_xds gauge',
      'pilot_xds 3',
      '# HELP pilot_xds_push_time push time',
      '# TYPE pilot_xds_push_time histogram',
      'pilot_xds_push_time_bucket{le="0.1"} 1',
      'pilot_xds_push_time_bucket{le="1"} 2',
      'pilot_xds_push_time_bucket{le="+Inf"} 2',
      'pilot_xds_push_time_sum 0.55',
      'pilot_xds_push_time_count 2',
      '# HELP pilot_xds_pushes pushes',
      '# TYPE pilot_xds_pushes counter',
      'pilot_xds_pushes{type="a\\"b\\\\c"} 1',
      'pilot_xds_pushes{type="cds"} 2',
      'pilot_xds_pushes{type="lds"} 1',
      '',
    ].join('\n'),
  );
  assert.throws(() => r.inc('pilot_xds'), /is a gauge, not a counter/);
  assert.throws(() => r.inc('nope'), /not defined/);
  assert.equal(typeLabel(TypeUrl.ClusterLoadAssignment), 'eds');
});
