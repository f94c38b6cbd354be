// Real Envoy sidecars load what biplane serves: for every pod of the demo cluster and every golden case, with both
// forwarding strategies, over state-of-the-world and delta ADS, Envoy (bootstrapped by `biplane bootstrap`) accepts
// every listener, cluster, route and endpoint: no NACK in biplane's /debug/syncz, no `update_rejected` in Envoy's
// stats, nothing left warming, and the server LIVE; and Envoy's own /config_dump equals `biplane translate --output
// config-dump` for that pod, resource for resource: what biplane says a proxy gets is what it runs.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { requireOrSkip } from '../support/requirements.ts';
import { waitFor } from '../support/envoy.ts';
import { assertSameConfig } from './config-dump.ts';
import { biplaneInProcess, bootstrapFor, serve, sidecar, waitConverged, type Served } from './sidecar.ts';
import { SdsServer } from '../../src/agent/sds.ts';
import { createTestPki, SettableCertificateSource } from '../support/pki.ts';
import { goldenCase, goldenCases } from '../translate/golden-cases.ts';

const skip = requireOrSkip('real Envoy sidecars', ['envoy', 'unshare']);
const REPO = path.join(import.meta.dirname, '../..');
const DEMO = path.join(REPO, 'examples/demo');
const ADS = ['sotw', 'delta'] as const;

/** Every pod of a manifest folder, as NAMESPACE/NAME, from `biplane analyze`'s view of the model. */
function podsOf(dir: string): string[] {
  const pods: string[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    for (const doc of readFileSync(path.join(dir, file), 'utf8').split(/^---$/m)) {
      const o = parse(doc) as { kind?: string; metadata?: { name?: string; namespace?: string } } | null;
      if (o?.kind === 'Pod') pods.push(`${o.metadata?.namespace ?? 'default'}/${o.metadata?.name ?? ''}`);
    }
  }
  return pods.sort();
}

interface SynczType {
  readonly type: string;
  readonly status: string;
  readonly error?: string;
}
interface SynczProxy {
  readonly nodeId: string;
  readonly nacks: number;
  readonly rejected: boolean;
  readonly streams: readonly { readonly kind: string; readonly types: readonly SynczType[] }[];
}

/** biplane's view of one proxy: every type SYNCED on its one stream of the expected kind, no NACK ever. */
async function serverSaysSynced(served: Served, nodeId: string, kind: 'sotw' | 'delta'): Promise<void> {
  let row: SynczProxy | undefined;
  await waitFor(
    async () => {
      const syncz = (await served.admin('/debug/syncz')) as { proxies: SynczProxy[] };
      row = syncz.proxies.find((p) => p.nodeId === nodeId);
      const types = row?.streams.find((st) => st.kind === kind)?.types ?? [];
      return types.length === 4 && types.every((ty) => ty.status !== 'STALE');
    },
    20_000,
    `biplane to see ${nodeId} ACK all four types`,
  );
  assert.ok(row);
  assert.equal(row.nacks, 0, `NACKs from ${nodeId}: ${JSON.stringify(row.streams)}`);
  assert.equal(row.rejected, false);
  // The SotW and delta Envoys of one pod share its node id, so the row may hold both streams.
  const stream = row.streams.find((st) => st.kind === kind);
  assert.ok(stream, `no ${kind} stream for ${nodeId}`);
  for (const ty of stream.types) assert.equal(ty.status, 'SYNCED', `${ty.type}: ${ty.status} ${ty.error ?? ''}`);
}

/** What one sidecar run needs from the CLI, prepared before any Envoy starts. */
interface Case {
  readonly manifests: string;
  readonly pod: string;
  readonly strategy: string;
  readonly ads: 'sotw' | 'delta';
  readonly bootstrap: string;
  readonly translated: string;
}

/** A pod, whether its sidecar says its DNS is captured (`--dns-capture`), and its SDS socket when it has certificates. */
interface PodCase {
  readonly pod: string;
  readonly dnsCapture?: boolean;
  readonly sdsSocket?: string;
}

/** Runs `biplane bootstrap` and `biplane translate --output config-dump` for each pod, one after the other. */
async function prepare(served: Served, manifests: string, strategy: string, pods: readonly (string | PodCase)[]): Promise<Case[]> {
  const cases: Case[] = [];
  for (const entry of pods) {
    const { pod, dnsCapture, sdsSocket } = typeof entry === 'string' ? { pod: entry, dnsCapture: false, sdsSocket: undefined } : entry;
    const dns = dnsCapture ? ['--dns-capture'] : [];
    const sds = sdsSocket !== undefined ? ['--sds'] : [];
    const translated = await biplaneInProcess(['translate', '--manifests', manifests, '--proxy', pod, '--strategy', strategy, '--output', 'config-dump', ...dns, ...sds]);
    for (const ads of ADS) {
      const bootstrap = await bootstrapFor(manifests, pod, served.socket, ads, [...dns, ...(sdsSocket !== undefined ? ['--sds-socket', sdsSocket] : [])]);
      const label = `${pod}${dnsCapture ? ' (DNS captured)' : ''}${sdsSocket !== undefined ? ' (SDS)' : ''}`;
      cases.push({ manifests, pod: label, strategy, ads, translated, bootstrap });
    }
  }
  return cases;
}

/** One Envoy for a case: accepted by Envoy, ACKed at the server, running what `translate` prints. */
async function accepted(t: TestContext, served: Served, c: Case): Promise<void> {
  const { envoy, nodeId } = await sidecar(t, c.bootstrap, `envoy ${c.pod} (${c.strategy}, ${c.ads})`);
  const health = await waitConverged(envoy);
  assert.deepEqual(health.rejected, {}, `Envoy rejected updates:\n${envoy.logTail(30)}`);
  await serverSaysSynced(served, nodeId, c.ads);
  const after = await waitConverged(envoy);
  assert.deepEqual(after.rejected, {});
  const dump = await envoy.admin('/config_dump?include_eds');
  assert.equal(dump.status, 200);
  assertSameConfig(JSON.parse(dump.body) as Record<string, unknown>, JSON.parse(c.translated) as Record<string, unknown>, `${c.pod} (${c.strategy}, ${c.ads})`);
}

/** One `biplane serve` for a suite, on a Unix socket in a temp folder, ended with the suite. */
async function servedFor(t: TestContext, manifests: string, strategy: string): Promise<Served> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-ads-'));
  const served = await serve(manifests, path.join(dir, 'xds.sock'), ['--strategy', strategy]);
  t.after(async () => {
    await served.proc.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  return served;
}

for (const strategy of ['shared', 'per-family']) {
  test(`every demo pod's sidecar is accepted by a real Envoy (${strategy}, SotW and delta)`, { skip, timeout: 600_000, concurrency: 6 }, async (t) => {
    const served = await servedFor(t, DEMO, strategy);
    const pods = podsOf(DEMO);
    assert.ok(pods.length >= 4);
    const cases = await prepare(served, DEMO, strategy, pods);
    await Promise.all(cases.map((c) => t.test(`${c.pod} over ${c.ads}`, (st) => accepted(st, served, c))));
  });
}

/**
 * A real SDS server (the agent's) with a test PKI's certificate, on a socket in a temp folder, for golden cases whose
 * sidecar has certificates: without one, Envoy would keep their TLS clusters and listeners warming.
 */
async function sdsSocketFor(t: TestContext): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-sds-'));
  const pki = await createTestPki();
  const server = new SdsServer(new SettableCertificateSource(await pki.issue({ trustDomain: 'cluster.local', namespace: 'golden', serviceAccount: 'default' })));
  await server.listen(path.join(dir, 'socket'));
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return path.join(dir, 'socket');
}

test('every golden case is accepted by a real Envoy over SotW and delta', { skip, timeout: 600_000, concurrency: 6 }, async (t) => {
  const specs = goldenCases().map(goldenCase);
  const sdsSocket = specs.some((s) => s.sds) ? await sdsSocketFor(t) : undefined;
  const runs: Promise<unknown>[] = [];
  // One server per mesh file and strategy (`biplane serve --manifests` takes one file or folder).
  const groups = new Map<string, typeof specs>();
  for (const s of specs) {
    assert.equal(s.include.length, 1, `${s.name}: this test serves one manifests file per case; it includes ${s.include.length}`);
    const key = JSON.stringify([s.include[0], s.strategy]);
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, group] of groups) {
    const [manifests, strategy] = JSON.parse(key) as [string, string];
    const served = await servedFor(t, manifests, strategy);
    const pods = group.map((s) => ({ pod: s.proxy, dnsCapture: s.dnsCapture, ...(s.sds && sdsSocket ? { sdsSocket } : {}) }));
    const cases = await prepare(served, manifests, strategy, pods);
    runs.push(...cases.map((c) => t.test(`${c.pod} (${strategy}) over ${c.ads}`, (st) => accepted(st, served, c))));
  }
  await Promise.all(runs);
});
