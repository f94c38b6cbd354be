// Mesh mTLS in the translator, asked as behaviour: which inbound chain (and so which TLS demand) a connection to the
// sidecar meets, per PeerAuthentication mode and port, on both families; and which outbound endpoints get mTLS.
// The manifests are the mtls golden mesh (testdata/translate/mtls.yaml): mesh STRICT, namespace `pay` PERMISSIVE,
// ledger's workload policy 8443 STRICT and 9100 DISABLE.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadMesh } from '../../src/index.ts';
import { indexModel } from '../../src/model/index.ts';
import { TranslationCache, translate } from '../../src/translate/index.ts';
import { simulate, type SimulatedCall } from '../../src/translate/simulate.ts';
import type { EnvoyResources } from '../../src/translate/types.ts';

const MTLS = 'testdata/translate/mtls.yaml';
const LEDGER = ['10.244.5.10', 'fd00:10:244:5::10'];
const MESH_TLS: Pick<SimulatedCall, 'protocol' | 'alpn'> = { protocol: 'tls', alpn: ['istio-peer-exchange', 'istio'] };

async function ledger(sds: boolean, rootNamespace?: string): Promise<EnvoyResources> {
  const mesh = await loadMesh(MTLS, 'pay/ledger-0');
  assert.ok(!('error' in mesh));
  return translate(mesh.index, { ...mesh.proxy, ...(sds ? { sds: true } : {}) }, rootNamespace ? { rootNamespace } : {});
}

/** The chain and cluster an inbound call to the pod meets, or where it stopped. */
function inbound(r: EnvoyResources, destination: string, port: number, how: Pick<SimulatedCall, 'protocol' | 'alpn'>): string {
  const s = simulate(r, { direction: 'inbound', destination, port, ...how });
  return s.error ?? `${s.filterChain} → ${s.cluster}`;
}

test('a STRICT port takes only mesh mTLS, over IPv4 and IPv6; plaintext matches no chain', async () => {
  const r = await ledger(true);
  for (const ip of LEDGER) {
    assert.equal(inbound(r, ip, 8443, MESH_TLS), 'inbound|8443||-mtls → inbound|8443||', ip);
    assert.equal(inbound(r, ip, 8443, { protocol: 'tcp' }), 'no filter chain matched', ip);
    assert.equal(inbound(r, ip, 8443, { protocol: 'server-first' }), 'no filter chain matched', ip);
  }
  const chain = r.listeners.find((l) => l.name === 'virtualInbound')?.filter_chains.find((c) => c.name === 'inbound|8443||-mtls');
  const tls = chain?.transport_socket?.typed_config as { require_client_certificate?: { value: boolean } } | undefined;
  assert.deepEqual(tls?.require_client_certificate, { value: true });
});

test('a PERMISSIVE port takes mesh mTLS, the app’s own TLS and plaintext, each on its chain, over both families', async () => {
  const r = await ledger(true);
  for (const ip of LEDGER) {
    assert.equal(inbound(r, ip, 8080, MESH_TLS), 'inbound|8080||-mtls → inbound|8080||');
    assert.equal(inbound(r, ip, 8080, { protocol: 'tls', alpn: ['h2'] }), 'inbound|8080||-tls → inbound|8080||');
    assert.equal(inbound(r, ip, 8080, { protocol: 'http/1.1' }), 'inbound|8080|| → inbound|8080||');
    assert.equal(inbound(r, ip, 4000, MESH_TLS), 'virtualInbound-passthrough-mtls → InboundPassthroughCluster', 'undeclared ports follow the workload mode');
  }
});

test('a DISABLE port of the workload policy is plaintext even though no service declares it', async () => {
  const r = await ledger(true);
  assert.equal(inbound(r, LEDGER[1] as string, 9100, { protocol: 'tcp' }), 'virtualInbound-passthrough-9100 → InboundPassthroughCluster');
});

test('another root namespace leaves the namespace and workload policies as they are', async () => {
  const r = await ledger(true, 'mesh-root');
  assert.equal(inbound(r, LEDGER[0] as string, 8443, { protocol: 'tcp' }), 'no filter chain matched');
  assert.equal(inbound(r, LEDGER[0] as string, 8080, { protocol: 'tcp' }), 'inbound|8080|| → inbound|8080||');
});

test('a sidecar without certificates accepts plaintext where PERMISSIVE and refuses a STRICT port outright', async () => {
  const r = await ledger(false);
  for (const ip of LEDGER) {
    assert.equal(inbound(r, ip, 8080, { protocol: 'tcp' }), 'inbound|8080|| → inbound|8080||');
    assert.equal(inbound(r, ip, 8443, { protocol: 'tcp' }), 'inbound|8443|| → BlackHoleCluster');
  }
  assert.ok(!JSON.stringify(r).includes('sds-grpc'), 'nothing refers to an SDS cluster the sidecar does not have');
});

test('auto-mTLS marks each sidecar pod as one endpoint, both families together, and leaves plaintext the pods without a sidecar or whose policy says DISABLE', async () => {
  const r = await ledger(true);
  const archive = r.endpoints.find((e) => e.cluster_name === 'outbound|7000||archive.pay.svc.cluster.local');
  const marked = archive?.endpoints.flatMap((l) => l.lb_endpoints).map((lb) => [
    [lb.endpoint.address, ...(lb.endpoint.additional_addresses ?? []).map((a) => a.address)].map((a) => a.socket_address.address),
    lb.metadata?.filter_metadata['envoy.transport_socket_match']?.fields['tlsMode']?.stringValue ?? 'plaintext',
  ]);
  assert.deepEqual(marked, [
    [['fd00:10:244:5::20', '10.244.5.20'], 'istio'],
    [['fd00:10:244:5::21', '10.244.5.21'], 'plaintext'],
    [['fd00:10:244:5::22', '10.244.5.22'], 'plaintext'],
  ]);
  const cluster = r.clusters.find((c) => c.name === 'outbound|7000||archive.pay.svc.cluster.local');
  const tls = cluster?.transport_socket_matches?.[0]?.transport_socket.typed_config as { sni?: string } | undefined;
  assert.equal(tls?.sni, 'outbound_.7000_._.archive.pay.svc.cluster.local');
});

test('the translation cache gives sidecars with and without certificates exactly what a fresh cache gives them', async () => {
  const mesh = await loadMesh(MTLS, 'pay/ledger-0');
  assert.ok(!('error' in mesh));
  const cache = new TranslationCache();
  for (const proxy of [{ ...mesh.proxy, sds: true }, mesh.proxy, { ...mesh.proxy, sds: true }]) {
    assert.deepEqual(translate(mesh.index, proxy, { cache }), translate(mesh.index, proxy), `sds ${proxy.sds === true}`);
  }
});

test('a changed PeerAuthentication reaches endpoint metadata through the cache: the DISABLE pod gets mTLS once its policy is gone', async () => {
  const mesh = await loadMesh(MTLS, 'pay/ledger-0');
  assert.ok(!('error' in mesh));
  const proxy = { ...mesh.proxy, sds: true };
  const cache = new TranslationCache();
  const tlsModes = (r: EnvoyResources): string[] =>
    (r.endpoints.find((e) => e.cluster_name === 'outbound|7000||archive.pay.svc.cluster.local')?.endpoints ?? [])
      .flatMap((l) => l.lb_endpoints)
      .map((lb) => lb.metadata?.filter_metadata['envoy.transport_socket_match']?.fields['tlsMode']?.stringValue ?? 'plaintext');
  assert.deepEqual(tlsModes(translate(mesh.index, proxy, { cache })), ['istio', 'plaintext', 'plaintext']);
  const model = { ...mesh.index.model, peerAuthentications: mesh.index.model.peerAuthentications.filter((p) => p.name !== 'old-track') };
  const without = indexModel(model);
  const cached = translate(without, proxy, { cache });
  assert.deepEqual(tlsModes(cached), ['istio', 'plaintext', 'istio']);
  assert.deepEqual(cached, translate(without, proxy));
});
