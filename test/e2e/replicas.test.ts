// Several replicas of `biplane serve --kubeconfig` on one API server build the same configuration: two real processes
// watch the fake API server of test/kube seeded with the demo cluster (ServiceEntries included, so VIPs are
// auto-allocated), sidecars of every IP mode connect to each over SotW and delta, and every resource's bytes are
// compared between replicas, before and after a change. Killing one replica moves its sidecars to the other, where
// they resync to the same bytes (SotW from scratch; delta resuming with the versions it holds, and then sent nothing
// but later changes). Neither replica writes to the API server: nothing needs a leader.
//
// Versions: SotW `version_info` and delta `system_version_info` are content hashes of the type's resources, so they
// are equal too and asserted so. Nonces differ (a per-stream counter and random token), which is fine: a nonce only
// pairs an ACK with a response on one stream, and a stream never spans two replicas.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { podProxyNode, podProxyType } from '../../src/model/index.ts';
import { buildModel } from '../../src/model/index.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { ServeProcess } from '../support/serve.ts';
import { getText, poll } from './harness.ts';
import { FailoverClient, heldDifferences, WITH_NAME_TABLE } from './replica-client.ts';
import type { ClientNode } from './replica-client.ts';

type Json = Record<string, unknown>;

/**
 * The demo pods that connect: a sidecar per IP mode (the DNS-capturing ones dial auto-allocated ServiceEntry VIPs)
 * and a proxyless gRPC server, each as its pod's node says.
 */
const SIDECARS = [
  { pod: 'client-dual', kind: 'sotw', dns: true },
  { pod: 'client-v4', kind: 'delta', dns: false },
  { pod: 'client-v6', kind: 'sotw', dns: false },
  { pod: 'client-dual6', kind: 'delta', dns: true },
  { pod: 'greeter-1', kind: 'delta', dns: false },
] as const;
/** The pods whose streams are delta: they resume on another replica as Envoy does, reporting what they hold. */
const DELTA_PODS = SIDECARS.filter((s) => s.kind === 'delta').map((s) => s.pod);

/** A ServiceEntry resolved by DNS without addresses: its VIPs are auto-allocated. */
function dnsEntry(name: string, host: string, ports: readonly number[]): Json {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'shop' },
    spec: { hosts: [host], location: 'MESH_EXTERNAL', resolution: 'DNS', ports: ports.map((number) => ({ name: `tls-${number}`, number, protocol: 'TLS' })) },
  };
}

/** The demo cluster in the fake API server (read through the library loader), and the sidecars' nodes. */
async function demoCluster(t: TestContext): Promise<{ fake: FakeApiServer; kubeconfig: string; nodes: Map<string, ClientNode> }> {
  const { objects } = await loadManifests(path.resolve('examples/demo'));
  const fake = await FakeApiServer.start({ host: '127.0.0.1', serviceEntryCrd: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-replicas-'));
  t.after(async () => {
    await fake.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  for (const o of objects) fake.apply({ ...o.object });
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  await writeFile(kubeconfig, fake.kubeconfigYaml());
  const { model } = buildModel(objects);
  const nodes = new Map<string, ClientNode>();
  for (const s of SIDECARS) {
    const pod = model.pods.find((p) => p.namespace === 'demo' && p.name === s.pod);
    assert.ok(pod, `demo pod ${s.pod}`);
    const node = podProxyNode(pod, podProxyType(pod) ?? 'sidecar');
    nodes.set(s.pod, { ...node, metadata: { ...node.metadata, ...(s.dns ? { DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: 'true' } : {}) } });
  }
  return { fake, kubeconfig, nodes };
}

/** `biplane serve --kubeconfig` on one loopback xDS address; killed after the test. */
async function replica(t: TestContext, kubeconfig: string, xds: string): Promise<{ proc: ServeProcess; xds: string; admin: string }> {
  const proc = ServeProcess.start(['--kubeconfig', kubeconfig, '--xds-address', xds, '--admin-address', '127.0.0.1:0', '--quiet']);
  t.after(() => proc.kill());
  const listening = await proc.listening;
  const address = listening.xds[0];
  assert.ok(address, 'an xDS address');
  await poll(async () => ((await getText(listening.admin, '/ready')).status === 200 ? true : undefined), `${address} to be ready`, 30_000);
  return { proc, xds: address, admin: listening.admin };
}

/** Polls until each pod's two clients hold the same bytes and `also` holds; fails with the last differences. */
async function sameBytes(pairs: ReadonlyMap<string, readonly [FailoverClient, FailoverClient]>, what: string, also: (c: FailoverClient) => boolean): Promise<void> {
  let last: string[] = [];
  try {
    await poll(() => {
      last = [];
      for (const [pod, [a, b]] of pairs) {
        if (!a.complete || !b.complete || !also(a) || !also(b)) last.push(`${pod}: not settled on ${a.address} or ${b.address}`);
        else last.push(...heldDifferences(a.held, b.held).map((d) => `${pod}: ${d}`));
      }
      return last.length === 0 ? true : undefined;
    }, what, 20_000);
  } catch (err) {
    assert.fail(`${(err as Error).message}:\n${last.slice(0, 20).join('\n')}`);
  }
  for (const [pod, [a, b]] of pairs) {
    assert.deepEqual(a.held, b.held, `${pod}: byte-identical holdings`);
    assert.deepEqual(a.versions, b.versions, `${pod}: content-derived versions are equal too`);
  }
}

const holdsCluster = (name: string) => (c: FailoverClient): boolean => c.held.get(TypeUrl.Cluster)?.has(name) ?? false;
const listenerNames = (c: FailoverClient): string[] => [...(c.held.get(TypeUrl.Listener)?.keys() ?? [])];

/** One client per demo sidecar following `addresses` (read again on every reconnect); closed after the test. */
function connectAll(t: TestContext, nodes: ReadonlyMap<string, ClientNode>, addresses: readonly string[]): Map<string, FailoverClient> {
  const out = new Map<string, FailoverClient>();
  for (const s of SIDECARS) {
    const types = s.pod === 'client-dual6' ? WITH_NAME_TABLE : undefined;
    const client = new FailoverClient(s.kind, nodes.get(s.pod) as ClientNode, addresses, types, s.kind === 'delta');
    t.after(() => client.close());
    out.set(s.pod, client);
  }
  return out;
}

/** Each pod's client on `first` and on `second`, to compare. */
function paired(first: ReadonlyMap<string, FailoverClient>, second: ReadonlyMap<string, FailoverClient>): Map<string, readonly [FailoverClient, FailoverClient]> {
  return new Map([...first].map(([pod, c]) => [pod, [c, second.get(pod) as FailoverClient] as const]));
}

/**
 * A delta stream that moved from A to B reported A's resource versions, which are content hashes and so B's too: B
 * sent it nothing for them, and the next change brings it exactly what it brings B's own stream of the same pod.
 */
async function resumedDeltaGetsOnlyChanges(fake: FakeApiServer, pairs: ReadonlyMap<string, readonly [FailoverClient, FailoverClient]>): Promise<void> {
  for (const pod of DELTA_PODS) pairs.get(pod)?.[1].mark();
  fake.apply(dnsEntry('weather', 'api.weather.example', [443]));
  const reverted = (c: FailoverClient): boolean => !holdsCluster('outbound|8443||api.weather.example')(c);
  await sameBytes(pairs, 'both delta streams on B to get the next change', reverted);
  for (const pod of DELTA_PODS) {
    const [moved, own] = pairs.get(pod) ?? [];
    assert.ok(moved && own && own.received.length > 0, `${pod}: the change reached B's own stream`);
    assert.deepEqual([...moved.received].sort(), [...own.received].sort(), `${pod}: the moved stream got only the change`);
  }
}

// SotW clients keep EDS and RDS resources a change removed (absence is no deletion there), so the changes below
// remove only what CDS and LDS carry; otherwise a client that lived through the change could rightly hold more.
test('two replicas serve byte-identical configuration, and a killed replica\'s proxies resync on the other', { timeout: 180_000 }, async (t) => {
  const { fake, kubeconfig, nodes } = await demoCluster(t);
  const a = await replica(t, kubeconfig, '127.0.0.1:0');
  // Each pod connects once to A (failing over to B) and once to B (failing over to A). A's sidecars connect first, so
  // A translates, caches and pushes through a change that B, started after it, only ever sees in its initial list.
  const toA = [a.xds];
  const onA = connectAll(t, nodes, toA);
  await poll(() => ([...onA.values()].every((c) => c.complete) ? true : undefined), 'A\'s sidecars to get their configuration', 20_000);
  fake.apply(dnsEntry('maps', 'api.maps.example', [443]));
  await poll(() => ([...onA.values()].every(holdsCluster('outbound|443||api.maps.example')) ? true : undefined), 'A to push the new ServiceEntry', 20_000);

  const b = await replica(t, kubeconfig, '[::1]:0');
  toA.push(b.xds);
  const pairs = paired(onA, connectAll(t, nodes, [b.xds, a.xds]));
  await sameBytes(pairs, 'every pod to hold the same bytes from both replicas', holdsCluster('outbound|443||api.maps.example'));
  const dual = pairs.get('client-dual')?.[0] as FailoverClient;
  const autoVip = listenerNames(dual).find((n) => n.startsWith('240.240.'));
  assert.ok(autoVip, `an auto-allocated IPv4 VIP listener: ${listenerNames(dual).join(' ')}`);
  const listenerBytes = Buffer.from(dual.held.get(TypeUrl.Listener)?.get(autoVip) ?? '', 'base64').toString('latin1');
  assert.match(listenerBytes, /2001:2::/, 'with the auto-allocated IPv6 VIP as its additional address');

  // A change while both run: a ServiceEntry goes, another gains a port (VIPs allocated again on both).
  fake.delete('ServiceEntry', 'shop', 'maps');
  fake.apply(dnsEntry('weather', 'api.weather.example', [443, 8443]));
  const changed = (c: FailoverClient): boolean => holdsCluster('outbound|8443||api.weather.example')(c) && !holdsCluster('outbound|443||api.maps.example')(c);
  await sameBytes(pairs, 'both replicas to serve the change, byte-identical', changed);

  // Replica A dies without a goodbye: its proxies reconnect to B and get the same bytes as B's own.
  a.proc.child.kill('SIGKILL');
  assert.equal(await a.proc.exited(10_000), 'SIGKILL');
  const moved = (c: FailoverClient): boolean => c.address === b.xds && changed(c);
  await sameBytes(pairs, 'A\'s proxies to resync on B', moved);
  for (const [pod, [first]] of pairs) assert.deepEqual(first.connections.slice(0, 2), [a.xds, b.xds], `${pod} moved from A to B`);
  await resumedDeltaGetsOnlyChanges(fake, pairs);

  // Both replicas listed every collection on their own, and neither wrote anything: every request was a GET.
  for (const plural of ['namespaces', 'nodes', 'pods', 'services', 'endpointslices', 'serviceentries']) {
    const lists = fake.requests.filter((r) => !r.watch && r.path.endsWith(`/${plural}`)).length;
    assert.ok(lists >= 2, `${plural} listed by each replica (${lists} lists)`);
  }
  const writes = fake.requests.filter((r) => r.method !== 'GET');
  assert.deepEqual(writes.map((r) => `${r.method} ${r.path}`), [], 'no create, update, patch or delete');
});
