// The `targets` scenario's pure parts: `--scenario targets` parses with its sizes, each figure is judged met / missed /
// not run against its limit, the figures come from the right measurements, and the Markdown table says all of it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBenchArgs } from '../../bench/args.ts';
import type { Outcome } from '../../bench/churn.ts';
import { figures } from '../../bench/targets.ts';
import { formatTargets, formatValue, targetRows, verdict } from '../../bench/targets-table.ts';
import type { TargetFigure } from '../../bench/targets-table.ts';

function outcome(change: string, latencies: number[], loopP99 = 10): Outcome {
  return { change, affected: latencies.length, latencies, bytes: 2 ** 20, rebuildMs: NaN, loopMs: { p99: loopP99, max: loopP99 * 2 } };
}

const churn = (pod: number, service: number, loop: number): Outcome[] => [
  outcome('pod added', [pod / 2, pod]),
  outcome('pod removed', [pod / 4, pod / 3]),
  outcome('service added', [service, service / 2], loop),
];

const large = { proxies: 10_000, connectMs: 1, heapPerProxy: 15 * 1024, heapExternalPerProxy: 21 * 1024, outcomes: churn(900, 0, 0).slice(0, 2) };

describe('the targets scenario', () => {
  it('is named by --scenario targets, runs only when named, and takes --large-proxies', () => {
    const args = parseBenchArgs(['--scenario', 'targets', '--services', '1000', '--proxies', '2000']);
    assert.deepEqual(args.scenarios, ['targets']);
    assert.equal(args.largeProxies, 10_000);
    assert.deepEqual(args.proxies, [2000]);
    assert.equal(parseBenchArgs(['--scenario', 'targets', '--large-proxies', '300']).largeProxies, 300);
    assert.ok(!parseBenchArgs([]).scenarios.includes('targets'));
    assert.throws(() => parseBenchArgs(['--large-proxies', 'many']), /--large-proxies/);
  });

  it('judges a figure met at or below its limit, missed above it or when not a number, and not run without one', () => {
    const f = (value: number | null): TargetFigure => ({ target: 't', limit: 250, unit: 'ms', value });
    assert.equal(verdict(f(250)), 'met');
    assert.equal(verdict(f(250.5)), 'missed');
    assert.equal(verdict(f(NaN)), 'missed');
    assert.equal(verdict(f(null)), 'not run');
  });

  it('formats milliseconds whole, KiB with one decimal and ratios with two', () => {
    assert.equal(formatValue(1234.4, 'ms'), '1,234 ms');
    assert.equal(formatValue(17.94, 'KiB'), '17.9 KiB');
    assert.equal(formatValue(0.955, '×'), '0.96');
    assert.equal(formatValue(null, 'ms'), '-');
  });

  it('takes the worse of pod added and removed, the new service for the full push, and says "not run: no Go" without Go', () => {
    const list = figures(2000, { sotw: churn(300, 2000, 70), delta: churn(200, 800, 40) }, large, 'not run: no Go');
    const byTarget = new Map(list.map((f) => [f.target, f]));
    assert.equal(byTarget.get('pod added/removed → every affected proxy, p99, 2,000 proxies (sotw)')?.value, 300);
    assert.equal(verdict(byTarget.get('pod added/removed → every affected proxy, p99, 2,000 proxies (delta)') as TargetFigure), 'met');
    assert.equal(byTarget.get('same, 10,000 proxies (delta)')?.value, 900);
    assert.equal(byTarget.get('new HTTP service → every proxy, p99, 2,000 proxies (sotw)')?.value, 2000);
    assert.equal(byTarget.get('event-loop delay p99 during a full push (new service) to 2,000 proxies (sotw)')?.value, 70);
    assert.equal(verdict(byTarget.get('marginal heap per proxy at 10,000 proxies (delta, heap + external)') as TargetFigure), 'missed');
    const peerRows = list.filter((f) => f.target.includes('go-control-plane'));
    assert.equal(peerRows.length, 4);
    for (const f of peerRows) {
      assert.equal(verdict(f), 'not run');
      assert.equal(f.note, 'not run: no Go');
    }
  });

  it('marks the large rows "not measured" with the reason when the large fleet did not finish', () => {
    const list = figures(2000, { sotw: churn(300, 2000, 70), delta: churn(200, 800, 40) }, { ...large, error: 'did not finish within 9.0 min' }, 'not run: no Go');
    const rows = list.filter((f) => f.target.includes('10,000'));
    assert.equal(rows.length, 2);
    for (const f of rows) {
      assert.equal(verdict(f), 'not run');
      assert.equal(f.note, 'not measured: did not finish within 9.0 min');
    }
  });

  it('prints the command, dates and load averages above a table with one line per target', () => {
    const list: TargetFigure[] = [
      { target: 'pod p99', limit: 250, unit: 'ms', value: 300, note: 'added 300 / removed 100' },
      { target: 'heap ÷ peer', limit: 1, unit: '×', value: null, note: 'not run: no Go' },
    ];
    const text = formatTargets({ command: 'npm run bench -- --scenario targets', started: 'S', ended: 'E', loadStart: [1, 2, 3], loadEnd: [4.5, 5, 6] }, list);
    assert.match(text, /^Command: `npm run bench -- --scenario targets`$/m);
    assert.match(text, /^Run: S → E$/m);
    assert.match(text, /1\.00 \/ 2\.00 \/ 3\.00 at start, 4\.50 \/ 5\.00 \/ 6\.00 at end/);
    assert.match(text, /^\| pod p99 \| ≤ 250 ms \| 300 ms \| \*\*missed\*\* \| added 300 \/ removed 100 \|$/m);
    assert.match(text, /^\| heap ÷ peer \| ≤ 1\.00 \| - \| not run: no Go \|  \|$/m);
    assert.deepEqual(targetRows(list).map((r) => r['result']), ['missed', 'not run']);
  });
});
