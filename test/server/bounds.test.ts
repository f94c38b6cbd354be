// What the server keeps about clients is bounded: NACK history by count and age, log lines per client per window,
// metric series per type URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LogLimiter } from '../../src/server/log-limit.ts';
import { metricTypeLabel } from '../../src/server/metrics.ts';
import { SyncStatus } from '../../src/server/sync-status.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import type { XdsEventMap } from '../../src/xds/index.ts';

function nack(nodeId: string, message = 'bad'): XdsEventMap['nack'] {
  const node = { id: nodeId, cluster: '', metadata: {}, locality: { region: '', zone: '', sub_zone: '' }, user_agent_name: '', user_agent_version: '', client_features: [] };
  return { streamId: 1, kind: 'sotw', node, typeUrl: TypeUrl.Cluster, version: 'v2', acceptedVersion: 'v1', nonce: '1', error: { code: 3, message } };
}

test('the NACK history keeps at most maxNodes node ids, forgetting the one that NACKed longest ago', () => {
  const sync = new SyncStatus({ maxNodes: 3, maxAgeMs: 60_000, now: () => 1000 });
  for (const id of ['a', 'b', 'a', 'c', 'd']) sync.onNack(nack(id));
  assert.deepEqual(sync.nackHistory().map((h) => [h.nodeId, h.nacks]), [['a', 2], ['c', 1], ['d', 1]]);
  assert.equal(sync.nacks('b'), 0);
});

test('a node’s NACK history expires maxAgeMs after its last NACK', () => {
  let now = 0;
  const sync = new SyncStatus({ maxNodes: 100, maxAgeMs: 60_000, now: () => now });
  sync.onNack(nack('old'));
  now = 30_000;
  sync.onNack(nack('young'));
  now = 70_000;
  assert.deepEqual(sync.nackHistory().map((h) => h.nodeId), ['young']);
  assert.equal(sync.nacks('old'), 0);
  now = 100_000;
  assert.deepEqual(sync.nackHistory(), []);
});

test('1,500 node ids NACKing leave a history of the newest 1,000 at most, by default', () => {
  const sync = new SyncStatus();
  for (let i = 0; i < 1500; i++) sync.onNack(nack(`n${i}`));
  const history = sync.nackHistory();
  assert.equal(history.length, 1000);
  assert.ok(!history.some((h) => h.nodeId === 'n0'));
  assert.ok(history.some((h) => h.nodeId === 'n1499'));
});

test('one client logs at most its budget per window, and the rest is summed up when its next window opens', () => {
  let now = 0;
  const lines: string[] = [];
  const limiter = new LogLimiter((l) => void lines.push(l), { perKey: 3, windowMs: 1000, now: () => now });
  for (let i = 0; i < 50; i++) limiter.log('noisy', `noisy ${i}`);
  limiter.log('quiet', 'quiet 0');
  assert.deepEqual(lines, ['noisy 0', 'noisy 1', 'noisy 2', 'quiet 0']);
  now = 1000;
  limiter.log('noisy', 'noisy again');
  assert.deepEqual(lines.slice(4), ['47 more log lines about noisy suppressed (at most 3 per 1 s)', 'noisy again']);
});

test('the log limiter remembers at most maxKeys clients', () => {
  const lines: string[] = [];
  const limiter = new LogLimiter((l) => void lines.push(l), { perKey: 1, maxKeys: 10, now: () => 0 });
  for (let i = 0; i < 1000; i++) limiter.log(`k${i}`, `line ${i}`);
  assert.equal(limiter.size, 10);
  assert.equal(lines.length, 1000);
});

test('metric type labels are cds, eds, lds, rds or other, whatever type URL a client names', () => {
  assert.equal(metricTypeLabel(TypeUrl.Cluster), 'cds');
  assert.equal(metricTypeLabel(TypeUrl.ClusterLoadAssignment), 'eds');
  assert.equal(metricTypeLabel(TypeUrl.Listener), 'lds');
  assert.equal(metricTypeLabel(TypeUrl.RouteConfiguration), 'rds');
  const labels = new Set(Array.from({ length: 2000 }, (_, i) => metricTypeLabel(`type.googleapis.com/made.up.T${i}`)));
  labels.add(metricTypeLabel('evil/envoy.config.cluster.v3.Cluster'));
  assert.deepEqual([...labels], ['other']);
});
