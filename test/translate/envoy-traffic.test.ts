// A real Envoy with real traffic: a dual-stack "pod" namespace whose TCP is captured by biplane's own rules, an Envoy
// running biplane's translation as uid 1337, and a "peer" namespace whose servers speak first (they send
// `<label>:<port>` on accept, as MySQL sends its greeting). Proves, for IPv4 and IPv6: a server-first protocol to a
// port a mesh HTTP service uses falls through the sniffing listener to its destination; a headless TCP endpoint goes
// through its own listener; connections sent straight to 15001 or 15006 end in the black hole instead of looping.
// And TPROXY's transparent capture listeners bind on both families (an option of the wrong family makes Envoy refuse).
// Without DNS capture, TLS to a ServiceEntry host is matched by SNI on the port's wildcard, over both families.
// Needs root, `ip netns`, iptables and an Envoy binary: skipped with the reason otherwise, failed under CI.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { Proxy } from '../../src/model/types.ts';
import { translate } from '../../src/translate/index.ts';
import type { EnvoyResources, Listener } from '../../src/translate/types.ts';
import { startEnvoy, waitFor, type RunningEnvoy } from '../support/envoy.ts';
import { requireOrSkip } from '../support/requirements.ts';
import { ADDR, answers, createTopology, inNs, REPO, startListener, type Target, type Topology } from '../capture/netns.ts';
import { translatedBootstrap } from './envoy.ts';
import { endpoint, model, pod, port, proxyFor, service } from './fixtures.ts';

const skip = requireOrSkip('real Envoy traffic in a captured namespace', ['root', 'ip', 'iptables', 'ip6tables', 'envoy']);
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

/** A topology destroyed when `t` ends. */
async function topology(t: TestContext): Promise<Topology> {
  const topo = await createTopology();
  t.after(() => topo.destroy());
  return topo;
}

/**
 * Starts Envoy in the pod namespace with `r` as static configuration, as uid 1337 (the proxy uid the capture rules
 * exempt) or as root (transparent sockets need CAP_NET_ADMIN), and waits until it is LIVE.
 */
async function envoyIn(t: TestContext, ns: string, proxy: Proxy, r: EnvoyResources, as: 'proxy' | 'root' = 'proxy'): Promise<RunningEnvoy> {
  const ids = as === 'proxy' ? { uid: 1337, gid: 1337 } : {};
  const envoy = await startEnvoy(t, { bootstrap: translatedBootstrap(proxy, r), netns: ns, ...ids, name: `envoy in ${ns}`, logLevel: 'warning' });
  await waitFor(async () => (await envoy.admin('/ready')).status === 200, 30_000, 'Envoy to be LIVE');
  return envoy;
}

test('a real Envoy routes captured dual-stack traffic: fall-through, headless listeners, loop guards', { skip, timeout: 120_000 }, async (t) => {
  const topo = await topology(t);
  const peer = await startListener(topo.peer, { label: 'peer', tcp: [8080, 6379] });
  t.after(() => peer.stop());
  const { mesh, proxy } = podMesh();
  const envoy = await envoyIn(t, topo.pod, proxy, translate(mesh, proxy));
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

  const stats = Object.fromEntries(await envoy.stats('upstream_cx_'));
  assert.equal(stats[`cluster.${HEADLESS}.upstream_cx_total`], 2, 'one connection per family through the headless listeners');
  assert.equal(stats['cluster.PassthroughCluster.upstream_cx_total'], 2, 'only the two server-first connections passed through; no loop');
  assert.equal(stats['cluster.BlackHoleCluster.upstream_cx_none_healthy'], 4, 'both loop guards, both families');
  assert.equal(stats['cluster.InboundPassthroughCluster.upstream_cx_total'] ?? 0, 0, 'nothing looped back in');
  const listeners = Object.fromEntries(await envoy.stats('downstream_cx_total'));
  assert.equal(listeners['listener.198.18.0.2_6379.downstream_cx_total'], 1, 'the IPv4 endpoint’s own listener');
  assert.equal(listeners['listener.[2001_db8__2]_6379.downstream_cx_total'], 1, 'the IPv6 endpoint’s own listener');
  assert.equal(listeners['listener.0.0.0.0_8080.downstream_cx_total'], 2, 'both families reached the wildcard HTTP listener');
  assert.equal(listeners['http.outbound_0.0.0.0_8080.downstream_cx_total'], 0, '... and none went to its HTTP connection manager');
});

/** Opens a TLS connection from `ns` to each `ip` on `port` offering `servername`; the peer's non-TLS reply ends it. */
async function tlsHellos(ns: string, ips: readonly string[], port: number, servername: string): Promise<void> {
  const script = `const tls = require('node:tls');
const [servername, port, ...ips] = process.argv.slice(1);
let open = ips.length;
for (const host of ips) {
  const s = tls.connect({ host, port: Number(port), servername, rejectUnauthorized: false });
  const done = () => { s.destroy(); if (--open === 0) process.exit(0); };
  s.on('error', done); s.on('close', done); s.setTimeout(5000, done);
}`;
  await inNs(ns, [process.execPath, '-e', script, servername, String(port), ...ips]);
}

test('a real Envoy without DNS capture sends TLS for a ServiceEntry host by SNI to its cluster over IPv4 and IPv6', { skip, timeout: 120_000 }, async (t) => {
  const topo = await topology(t);
  const peer = await startListener(topo.peer, { label: 'peer', tcp: [8443] });
  t.after(() => peer.stop());
  const client = pod('client', 'demo', [ADDR.pod4, ADDR.pod6], { app: 'client' });
  const entry = service('tls', 'demo', [], [port('tls', 8443, 'TLS')], {
    kind: 'ServiceEntry',
    hostname: 'tls.mesh.test',
    resolution: 'NONE',
    headless: false,
    location: 'MESH_EXTERNAL',
  });
  const proxy = proxyFor(client);
  const envoy = await envoyIn(t, topo.pod, proxy, translate(model([entry], [], [client]), proxy));
  await inNs(topo.pod, [process.execPath, path.join(REPO, 'bin/biplane.js'), 'capture', '--ips', `${ADDR.pod4},${ADDR.pod6}`, '--apply']);

  await tlsHellos(topo.pod, [ADDR.peer4, ADDR.peer6], 8443, 'tls.mesh.test');
  await tlsHellos(topo.pod, [ADDR.peer4, ADDR.peer6], 8443, 'other.mesh.test');
  const stats = Object.fromEntries(await envoy.stats('upstream_cx_total'));
  assert.equal(stats['cluster.outbound|8443||tls.mesh.test.upstream_cx_total'], 2, 'the host by SNI, once per family');
  assert.equal(stats['cluster.PassthroughCluster.upstream_cx_total'], 2, 'another name passes through, once per family');
  const listeners = Object.fromEntries(await envoy.stats('downstream_cx_total'));
  assert.equal(listeners['listener.0.0.0.0_8443.downstream_cx_total'], 4, 'all four through the one dual wildcard listener');
});

test('under TPROXY a real Envoy binds both transparent capture listeners on both families, and refuses a wrong-family option', { skip, timeout: 120_000 }, async (t) => {
  const topo = await topology(t);
  const { mesh, proxy: redirect } = podMesh();
  const proxy = { ...redirect, interception: 'TPROXY' as const };
  const r = translate(mesh, proxy);
  const good = await envoyIn(t, topo.pod, proxy, r, 'root');
  const bound = await inNs(topo.pod, ['ss', '-ltnH']);
  for (const socket of ['0.0.0.0:15001', '[::]:15001', '0.0.0.0:15006', '[::]:15006']) assert.ok(bound.includes(socket), `${socket} in\n${bound}`);
  await good.stop();

  const wrong = (l: Listener): Listener => (l.name === 'virtualOutbound' ? { ...l, socket_options: l.additional_addresses?.[0]?.socket_options?.socket_options ?? [] } : l);
  await assert.rejects(envoyIn(t, topo.pod, proxy, { ...r, listeners: r.listeners.map(wrong) }, 'root'), /Setting socket options failed/);
});
