// A real Envoy with real traffic: a dual-stack "pod" namespace whose TCP is captured by biplane's own rules, an Envoy
// running biplane's translation as uid 1337, and a "peer" namespace whose servers speak first (they send
// `<label>:<port>` on accept, as MySQL sends its greeting). Proves, for IPv4 and IPv6: a server-first protocol to a
// port a mesh HTTP service uses falls through the sniffing listener to its destination; a headless TCP endpoint goes
// through its own listener; connections sent straight to 15001 or 15006 end in the black hole instead of looping.
// And TPROXY's transparent capture listeners bind on both families (an option of the wrong family makes Envoy refuse).
// Needs root, `ip netns`, iptables and an Envoy binary: skipped with the reason otherwise, failed under CI=true.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { translate } from '../../src/translate/index.ts';
import { ADDR, answers, createTopology, inNs, netnsUnavailable, REPO, run, startListener, type Target } from '../capture/netns.ts';
import { envoyBinary, staticBootstrapBytes } from './envoy.ts';
import type { Listener } from '../../src/translate/types.ts';
import { endpoint, model, pod, port, proxyFor, service } from './fixtures.ts';

const envoy = envoyBinary();
const unavailable = (await netnsUnavailable()) ?? (envoy ? undefined : 'no Envoy binary: set ENVOY_BIN');
const tcp = (host: string, p: number): Target => ({ proto: 'tcp', host, port: p });
const HEADLESS = 'outbound|6379||cache.demo.svc.cluster.local';

/** The pod's mesh: an HTTP service on 8080 (so 8080 gets the sniffing wildcard listener) and a headless TCP service. */
function podMesh() {
  const client = pod('client', 'demo', [ADDR.pod4, ADDR.pod6], { app: 'client' });
  const web = service('web', 'demo', ['198.18.100.10', '2001:db8:100::10'], [port('http', 8080, 'HTTP', 8080)]);
  const cache = service('cache', 'demo', [], [port('tcp-redis', 6379, 'TCP', 6379)]);
  const backend = endpoint(cache, 'cache-0', [ADDR.peer4, ADDR.peer6], [{ name: 'tcp-redis', port: 6379 }]);
  return { mesh: model([web, cache], [backend], [client]), proxy: proxyFor(client) };
}

/** Envoy's counters whose names contain `filter`, from its admin port inside the pod namespace. */
async function counters(ns: string, filter: string): Promise<Record<string, number>> {
  const r = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '5', `http://127.0.0.1:15000/stats?filter=${encodeURIComponent(filter)}`]);
  const out: Record<string, number> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+): (\d+)$/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Starts Envoy in `ns`, as uid 1337 (the proxy uid the capture rules exempt) or as root (transparent sockets need
 * CAP_NET_ADMIN); resolves once its admin says LIVE, or rejects with what Envoy printed.
 */
async function startEnvoy(ns: string, bootstrap: Uint8Array, dir: string, as: 'proxy' | 'root' = 'proxy'): Promise<ChildProcess> {
  const file = path.join(dir, 'bootstrap.pb');
  writeFileSync(file, bootstrap);
  chmodSync(dir, 0o755);
  chmodSync(file, 0o644);
  const user = as === 'proxy' ? ['setpriv', '--reuid=1337', '--regid=1337', '--clear-groups'] : [];
  const args = ['netns', 'exec', ns, ...user, envoy ?? 'envoy'];
  const child = spawn('ip', [...args, '-c', file, '--use-dynamic-base-id', '--concurrency', '1', '-l', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 150 && child.exitCode === null; i++) {
    const ready = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '--max-time', '1', 'http://127.0.0.1:15000/ready']);
    if (ready.stdout.trim() === 'LIVE') return child;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill();
  throw new Error(`Envoy did not become ready:\n${log}`);
}

test('a real Envoy routes captured dual-stack traffic: fall-through, headless listeners, loop guards', async (t) => {
  if (unavailable) {
    if (process.env['CI'] === 'true') assert.fail(unavailable);
    t.skip(unavailable);
    return;
  }
  const topo = await createTopology();
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-envoy-traffic-'));
  const stops: (() => void)[] = [];
  t.after(async () => {
    for (const stop of stops) stop();
    rmSync(dir, { recursive: true, force: true });
    await topo.destroy();
  });
  const peer = await startListener(topo.peer, { label: 'peer', tcp: [8080, 6379] });
  stops.push(peer.stop);
  const { mesh, proxy } = podMesh();
  const proxyProcess = await startEnvoy(topo.pod, staticBootstrapBytes(proxy, translate(mesh, proxy)), dir);
  stops.push(() => proxyProcess.kill());
  await inNs(topo.pod, [process.execPath, path.join(REPO, 'bin/biplane.js'), 'capture', '--ips', `${ADDR.pod4},${ADDR.pod6}`, '--apply']);

  const outbound = await answers(topo.pod, [tcp(ADDR.peer4, 8080), tcp(ADDR.peer6, 8080), tcp(ADDR.peer4, 6379), tcp(ADDR.peer6, 6379)]);
  assert.deepEqual(outbound, {
    'tcp 198.18.0.2:8080': 'peer:8080',
    'tcp [2001:db8::2]:8080': 'peer:8080',
    'tcp 198.18.0.2:6379': 'peer:6379',
    'tcp [2001:db8::2]:6379': 'peer:6379',
  });
  const loops = await answers(topo.pod, [tcp(ADDR.pod4, 15001), tcp(ADDR.pod6, 15001)]);
  const inboundLoops = await answers(topo.peer, [tcp(ADDR.pod4, 15006), tcp(ADDR.pod6, 15006)]);
  for (const [target, reply] of Object.entries({ ...loops, ...inboundLoops })) assert.ok(!reply.startsWith('peer'), `${target}: ${reply}`);

  const stats = await counters(topo.pod, 'upstream_cx_');
  assert.equal(stats[`cluster.${HEADLESS}.upstream_cx_total`], 2, 'one connection per family through the headless listeners');
  assert.equal(stats['cluster.PassthroughCluster.upstream_cx_total'], 2, 'only the two server-first connections passed through; no loop');
  assert.equal(stats['cluster.BlackHoleCluster.upstream_cx_none_healthy'], 4, 'both loop guards, both families');
  assert.equal(stats['cluster.InboundPassthroughCluster.upstream_cx_total'] ?? 0, 0, 'nothing looped back in');
  const listeners = await counters(topo.pod, 'downstream_cx_total');
  assert.equal(listeners['listener.198.18.0.2_6379.downstream_cx_total'], 1, 'the IPv4 endpoint’s own listener');
  assert.equal(listeners['listener.[2001_db8__2]_6379.downstream_cx_total'], 1, 'the IPv6 endpoint’s own listener');
  assert.equal(listeners['listener.0.0.0.0_8080.downstream_cx_total'], 2, 'both families reached the wildcard HTTP listener');
  assert.equal(listeners['http.outbound_0.0.0.0_8080.downstream_cx_total'], 0, '... and none went to its HTTP connection manager');
});

test('under TPROXY a real Envoy binds both transparent capture listeners on both families, and refuses a wrong-family option', async (t) => {
  if (unavailable) {
    if (process.env['CI'] === 'true') assert.fail(unavailable);
    t.skip(unavailable);
    return;
  }
  const topo = await createTopology();
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-envoy-tproxy-'));
  const stops: (() => void)[] = [];
  t.after(async () => {
    for (const stop of stops) stop();
    rmSync(dir, { recursive: true, force: true });
    await topo.destroy();
  });
  const { mesh, proxy: redirect } = podMesh();
  const proxy = { ...redirect, interception: 'TPROXY' as const };
  const r = translate(mesh, proxy);
  const good = await startEnvoy(topo.pod, staticBootstrapBytes(proxy, r), dir, 'root');
  stops.push(() => good.kill());
  const bound = await inNs(topo.pod, ['ss', '-ltnH']);
  for (const socket of ['0.0.0.0:15001', '[::]:15001', '0.0.0.0:15006', '[::]:15006']) assert.ok(bound.includes(socket), `${socket} in\n${bound}`);
  good.kill();

  const wrong = (l: Listener): Listener => (l.name === 'virtualOutbound' ? { ...l, socket_options: l.additional_addresses?.[0]?.socket_options?.socket_options ?? [] } : l);
  const refused = startEnvoy(topo.pod, staticBootstrapBytes(proxy, { ...r, listeners: r.listeners.map(wrong) }), dir, 'root').then((started) => {
    started.kill();
    return started;
  });
  await assert.rejects(refused, /Setting socket options failed/);
});
