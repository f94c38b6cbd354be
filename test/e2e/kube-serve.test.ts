// `biplane serve --kubeconfig` as a user runs it against a cluster: the fake list/watch API server of test/kube holds a
// dual-stack service and its pods, biplane runs as a separate process, and a raw ADS client over [::1] plays a
// dual-stack sidecar. Cluster changes and API server faults happen while the proxy stays connected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { TypeUrl } from '../../src/xds/index.ts';
import type { SotwResponse } from '../xds/raw-client.ts';
import { getText, poll } from './harness.ts';
import {
  CLIENT_IPS,
  CLUSTER,
  endpointAddresses,
  expectedEndpoint,
  HOST,
  KubeCluster,
  listenerAddresses,
  names,
  NODE,
  POD_A,
  POD_B,
  PORT,
  ServeProcess,
  Sidecar,
  VIPS,
} from './kube-harness.ts';
import type { EchoPod, Listening } from './kube-harness.ts';

const LISTENER = `${VIPS[0]}_${PORT}`;

interface Running {
  readonly cluster: KubeCluster;
  readonly proc: ServeProcess;
  readonly listening: Listening;
  readonly sidecar: Sidecar;
}

/** The fake cluster, `biplane serve` on it and a sidecar connected over [::1]; all torn down after the test. */
async function start(t: TestContext): Promise<Running> {
  const cluster = await KubeCluster.start();
  let proc: ServeProcess | undefined;
  let sidecar: Sidecar | undefined;
  t.after(async () => {
    sidecar?.close();
    await proc?.kill();
    await cluster.close();
  });
  proc = ServeProcess.kube(cluster.kubeconfig);
  const listening = await proc.listening;
  const v6 = listening.xds.find((a) => a.startsWith('[::1]:'));
  assert.ok(v6, `an xDS address on [::1]: ${listening.xds.join(' ')}`);
  sidecar = new Sidecar(v6);
  return { cluster, proc, listening, sidecar };
}

const sorted = (endpoints: readonly string[][] | undefined): string[] => (endpoints ?? []).map((e) => e.join(' ')).sort();

/** Whether an EDS response for CLUSTER holds exactly the endpoints of `pods`, each with both of its IPs. */
function endpointsOf(pods: readonly EchoPod[]): (r: SotwResponse) => boolean {
  const want = sorted(pods.map(expectedEndpoint));
  return (r) => JSON.stringify(sorted(endpointAddresses(r, CLUSTER))) === JSON.stringify(want);
}

interface SyncRow {
  nodeId: string;
  ipMode: string;
  ips: string[];
  nacks: number;
  streams: { types: { type: string; status: string; ackedVersion: string }[] }[];
}

/** Polls /debug/syncz until the sidecar's cds, eds and lds are all SYNCED; returns its row. */
async function synced(admin: string): Promise<{ row: SyncRow; nackHistory: unknown[] }> {
  return poll(async () => {
    const sz = JSON.parse((await getText(admin, '/debug/syncz')).body) as { proxies: SyncRow[]; nackHistory: unknown[] };
    const row = sz.proxies.find((p) => p.nodeId === NODE.id);
    const types = row?.streams[0]?.types ?? [];
    const all = ['cds', 'eds', 'lds'].every((x) => types.some((y) => y.type === x && y.status === 'SYNCED'));
    return row && all ? { row, nackHistory: sz.nackHistory } : undefined;
  }, 'syncz to show cds, eds and lds SYNCED', 8000);
}

/** The source problems /debug/problems shows now. */
async function sourceProblems(admin: string): Promise<{ errors: number; source: { message: string }[] }> {
  const body = JSON.parse((await getText(admin, '/debug/problems')).body) as { counts: { errors: number }; source: { message: string }[] };
  return { errors: body.counts.errors, source: body.source };
}

test('biplane serve --kubeconfig serves a dual-stack service it watches in the cluster', { timeout: 30_000 }, async (t) => {
  const { proc, listening, sidecar } = await start(t);
  assert.equal(listening.xds.length, 2);
  assert.match(proc.stdout, new RegExp(`${HOST.replace(/\./g, '\\.')}\\s+IPv4\\+IPv6\\s+${VIPS[0]}, ${VIPS[1]}`));
  assert.match(proc.stdout, /e2e\/echo-a\s+Dual/);
  assert.equal((await getText(listening.admin, '/ready')).status, 200);

  const { cds, eds, lds } = await sidecar.handshake();
  assert.ok(names(cds).includes(CLUSTER), names(cds).join(' '));
  assert.deepEqual(endpointAddresses(eds, CLUSTER), [expectedEndpoint(POD_A)], 'one endpoint: primary IP, then the other family');
  assert.deepEqual(listenerAddresses(lds, LISTENER), [`${VIPS[0]}:${PORT}`, `[${VIPS[1]}]:${PORT}`], names(lds).join(' '));

  const { row, nackHistory } = await synced(listening.admin);
  assert.equal(row.ipMode, 'Dual');
  assert.deepEqual(row.ips, [...CLIENT_IPS]);
  assert.equal(row.nacks, 0);
  assert.deepEqual(nackHistory, []);
  assert.equal(row.streams[0]?.types.find((x) => x.type === 'eds')?.ackedVersion, eds.version_info);
  const problems = await sourceProblems(listening.admin);
  assert.deepEqual(problems.source, [], 'the source reports no problem on a healthy cluster');
});

test('a change in the cluster reaches the connected proxy', { timeout: 30_000 }, async (t) => {
  const { cluster, listening, sidecar } = await start(t);
  await sidecar.handshake();

  cluster.setPods([POD_A, POD_B]);
  await sidecar.next(TypeUrl.ClusterLoadAssignment, 'EDS with pods a and b', endpointsOf([POD_A, POD_B]));
  cluster.setPods([POD_A]);
  const last = await sidecar.next(TypeUrl.ClusterLoadAssignment, 'EDS with pod a only', endpointsOf([POD_A]));

  // Every EDS response kept pod a with both of its addresses; the proxy ACKed them all.
  for (const r of sidecar.received.filter((x) => x.type_url === TypeUrl.ClusterLoadAssignment)) {
    assert.ok(sorted(endpointAddresses(r, CLUSTER)).includes(expectedEndpoint(POD_A).join(' ')), `version ${r.version_info} lost pod a`);
  }
  const { row } = await synced(listening.admin);
  assert.equal(row.nacks, 0);
  assert.equal(row.streams[0]?.types.find((x) => x.type === 'eds')?.ackedVersion, last.version_info);
});

test('an API server fault does not erase what is served, and changes arrive again after it', { timeout: 30_000 }, async (t) => {
  const { cluster, listening, sidecar } = await start(t);
  await sidecar.handshake();
  const before = sidecar.received.length;

  // Every watch gets an ERROR 410 (relist), and the next EndpointSlice lists fail with HTTP 500.
  cluster.fake.failNextLists('EndpointSlice', 4, 500);
  assert.ok(cluster.fake.errorWatches(410) >= 5, 'biplane had a watch open on every collection');
  const during = await poll(async () => {
    const p = await sourceProblems(listening.admin);
    return p.source.some((x) => /endpointslices failed: HTTP 500/.test(x.message)) ? p : undefined;
  }, '/debug/problems to report the failing EndpointSlice list', 8000);
  assert.ok(during.errors >= 1);
  // Not ready while a list fails, saying why; the last good state keeps serving meanwhile (checked below).
  const ready = await getText(listening.admin, '/ready');
  assert.equal(ready.status, 503);
  assert.match(ready.body, /not applying changes: .*endpointslices failed: HTTP 500/);

  // A change made during the outage arrives once the list works again; pod b's slices come only from that list.
  cluster.setPods([POD_A, POD_B]);
  await sidecar.next(TypeUrl.ClusterLoadAssignment, 'EDS with pods a and b after the outage', endpointsOf([POD_A, POD_B]));
  await poll(async () => ((await sourceProblems(listening.admin)).source.length === 0 ? true : undefined), 'the source problems to clear', 8000);
  assert.equal((await getText(listening.admin, '/ready')).status, 200, 'ready again once the lists work');
  assertNothingRemoved(sidecar.received.slice(before));

  // The watches opened after the outage carry the next change.
  cluster.setPods([POD_A]);
  await sidecar.next(TypeUrl.ClusterLoadAssignment, 'EDS with pod a only', endpointsOf([POD_A]));
  const { row } = await synced(listening.admin);
  assert.equal(row.nacks, 0);
});

/** No response pushed since the fault dropped the cluster, pod a's endpoint or the VIP listener. */
function assertNothingRemoved(responses: readonly SotwResponse[]): void {
  for (const r of responses) {
    if (r.type_url === TypeUrl.Cluster) assert.ok(names(r).includes(CLUSTER), `CDS ${r.version_info} dropped ${CLUSTER}`);
    if (r.type_url === TypeUrl.Listener) assert.ok(listenerAddresses(r, LISTENER), `LDS ${r.version_info} dropped ${LISTENER}`);
    if (r.type_url === TypeUrl.ClusterLoadAssignment) {
      const eps = sorted(endpointAddresses(r, CLUSTER));
      assert.ok(eps.includes(expectedEndpoint(POD_A).join(' ')), `EDS ${r.version_info} dropped pod a: ${eps.join(', ')}`);
    }
  }
}

test('SIGTERM ends the proxy stream with OK and exits 0, even with the API server gone', { timeout: 30_000 }, async (t) => {
  const { cluster, proc, sidecar } = await start(t);
  await sidecar.handshake();
  await cluster.close();
  // Losing the API server pushes nothing that removes configuration.
  assertNothingRemoved(await sidecar.drain(500));

  proc.child.kill('SIGTERM');
  const status = await sidecar.stream.status(10_000);
  assert.equal(status.code, 0, `the stream ends with OK, not ${status.code} ${status.details}`);
  assert.equal(await proc.exited(10_000), 0, proc.stderr);
  assert.match(proc.stderr, /SIGTERM, shutting down/);
});

test(
  '/debug/problems reports an API server that cannot be reached',
  { timeout: 30_000 },
  async (t) => {
    const { cluster, listening, sidecar } = await start(t);
    await sidecar.handshake();
    await cluster.close();
    const p = await poll(async () => {
      const now = await sourceProblems(listening.admin);
      return now.source.length > 0 ? now : undefined;
    }, 'a source problem once the API server is gone', 4000);
    assert.ok(p.source.some((x) => /watching .* failed|listing .* failed/.test(x.message)), JSON.stringify(p.source));
  },
);
