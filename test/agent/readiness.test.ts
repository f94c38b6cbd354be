import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStats, readinessOf } from '../../src/agent/readiness.ts';
import { proxyFromEnv } from '../../src/cli/agent.ts';
import { sidecarBootstrap } from '../../src/translate/bootstrap.ts';
import { clients, proxyFor } from '../translate/fixtures.ts';

const live = { status: 200, body: 'LIVE\n' };
const counters = (lds: number, cds: number) => new Map([['listener_manager.lds.update_success', lds], ['cluster_manager.cds.update_success', cds]]);

test('readiness is 200 only when Envoy runs, is live and has its first listeners and clusters', () => {
  assert.deepEqual(readinessOf({ running: true, ready: live, stats: counters(1, 2) }), { ready: true });
  assert.deepEqual(readinessOf({ running: false }), { ready: false, reason: 'envoy is not running' });
  assert.deepEqual(readinessOf({ running: true }), { ready: false, reason: 'envoy admin API does not answer' });
  const notLive = readinessOf({ running: true, ready: { status: 503, body: 'PRE_INITIALIZING\n' }, stats: counters(1, 1) });
  assert.deepEqual(notLive, { ready: false, reason: 'envoy is not live yet (PRE_INITIALIZING)' });
  assert.match(String((readinessOf({ running: true, ready: live, stats: counters(0, 1) }) as { reason?: string }).reason), /LDS/);
  assert.match(String((readinessOf({ running: true, ready: live, stats: counters(1, 0) }) as { reason?: string }).reason), /CDS/);
});

test('Envoy\'s plain-text stats are read by name', () => {
  const text = 'cluster_manager.cds.update_success: 3\nlistener_manager.lds.update_success: 0\nserver.state: 0\nhistogram: P0(nan,0)\n';
  assert.deepEqual([...parseStats(text)], [['cluster_manager.cds.update_success', 3], ['listener_manager.lds.update_success', 0], ['server.state', 0]]);
});

test('with the agent serving readiness, the bootstrap leaves 15021 free and says the pod captures DNS', () => {
  const proxy = proxyFor(clients.dual6);
  const names = (b: Record<string, unknown>) => ((b['static_resources'] as { listeners: { name: string }[] }).listeners).map((l) => l.name);
  assert.deepEqual(names(sidecarBootstrap(proxy, { pipe: '/x' })), ['stats', 'readiness']);
  const agent = sidecarBootstrap(proxy, { pipe: '/x' }, { readiness: 'agent', metadata: { DNS_CAPTURE: 'true' } });
  assert.deepEqual(names(agent), ['stats']);
  assert.equal((agent['node'] as { metadata: Record<string, unknown> }).metadata['DNS_CAPTURE'], 'true');
});

test('the pod comes from Istio\'s injector environment when no manifests are given', () => {
  const proxy = proxyFromEnv({ POD_NAME: 'web-0', POD_NAMESPACE: 'shop', INSTANCE_IPS: '2001:db8::5,198.18.0.5' });
  assert.ok(typeof proxy !== 'string');
  assert.equal(proxy.id, 'sidecar~2001:db8::5~web-0.shop~shop.svc.cluster.local');
  assert.equal(proxy.mode, 'Dual');
  assert.equal(proxy.primaryFamily, 'IPv6');
  assert.match(String(proxyFromEnv({ POD_NAME: 'x' })), /POD_NAMESPACE/);
});

test('bad agent flags are usage errors (exit 2) and --help exits 0', async () => {
  const { command } = await import('../../src/cli/agent.ts');
  const quiet = { error: console.error, log: console.log };
  console.error = () => undefined;
  console.log = () => undefined;
  try {
    assert.equal(await command.run(['--ads', 'grpc']), 2);
    assert.equal(await command.run(['--xds-address', 'nowhere']), 2);
    assert.equal(await command.run(['--upstream', 'not-an-ip']), 2);
    assert.equal(await command.run(['--manifests', 'examples/demo']), 2);
    assert.equal(await command.run(['--help']), 0);
  } finally {
    console.error = quiet.error;
    console.log = quiet.log;
  }
});
