// The web view in a real headless Chromium against the real `biplane serve` on a copy of the demo: the counts the
// page shows are the server's own, sync state and manifest edits show up live, a request path is drawn for an IPv4
// and an IPv6 call, and a screenshot of the page is written to test-output/ui/.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Page } from 'playwright-core';
import type { IPFamily, MeshModel, Pod } from '../../src/model/index.ts';
import type { Reachability } from '../../src/server/ui/reachability.ts';
import type { RequestPath } from '../../src/server/ui/request-path.ts';
import { chromiumBinary, requireOrSkip } from '../support/requirements.ts';
import { FakeProxy, expectText, getJson, serveDemo, until } from './support.ts';

const skip = requireOrSkip('the web view', ['chromium']);
const OUTPUT = path.join(import.meta.dirname, '../../test-output/ui');

interface Syncz {
  proxies: { nodeId: string; streams: { types: { type: string; status: string; sentVersion: string }[] }[] }[];
}

/** The counts the page's summary shows, worked out from /debug/registryz. */
function expectedCounts(model: MeshModel): Record<string, number> {
  const vips = (f: IPFamily): number => model.services.flatMap((s) => s.vips).filter((v) => v.family === f).length;
  return {
    'count-services': model.services.length,
    'count-vips-ipv4': vips('IPv4'),
    'count-vips-ipv6': vips('IPv6'),
    'count-pods': model.pods.length,
    'count-pods-dual': model.pods.filter((p) => new Set(p.ips.map((a) => a.family)).size === 2).length,
  };
}

async function expectCounts(page: Page, counts: Record<string, number>): Promise<void> {
  for (const [id, n] of Object.entries(counts)) await expectText(page, `#${id}`, String(n), `${id} shows what the server says`);
}

/** Every (type, status, sent version) of one node in syncz. */
function statesOf(syncz: Syncz, nodeId: string): [string, string, string][] {
  const proxy = syncz.proxies.find((p) => p.nodeId === nodeId);
  return (proxy?.streams ?? []).flatMap((s) => s.types.map((t): [string, string, string] => [t.type, t.status, t.sentVersion]));
}

async function expectSync(page: Page, syncz: Syncz, nodeId: string): Promise<void> {
  for (const [type, status, version] of statesOf(syncz, nodeId)) {
    const badge = `#proxies tr[data-node="${nodeId}"] [data-type="${type}"][data-version="${version}"]`;
    await expectText(page, badge, `${type} ${status}`, `${nodeId} ${type} shows syncz's state`);
  }
}

/** One pod of each IP mode among the demo's sidecar pods. */
function podsByMode(model: MeshModel): Pod[] {
  const sidecars = model.pods.filter((p) => p.ips.length > 0 && !p.annotations['inject.istio.io/templates']);
  const mode = (p: Pod): string => [...new Set(p.ips.map((a) => a.family))].join('+');
  return [...new Map(sidecars.map((p) => [mode(p), p])).values()];
}

const ADDED = `apiVersion: v1
kind: Service
metadata: { name: ui-added, namespace: shop }
spec:
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]
  clusterIP: 10.96.0.91
  clusterIPs: [10.96.0.91, "fd00:10:96::91"]
  selector: { app: frontend }
  ports: [{ name: http-added, port: 8091, targetPort: 8080 }]
`;

test('the web view shows the served demo, follows sync state and manifest edits live, and draws request paths', { skip }, async (t) => {
  const demo = await serveDemo(t);
  const model = await getJson<MeshModel>(demo.admin, '/debug/registryz');
  const pods = podsByMode(model);
  assert.ok(pods.length >= 3, 'the demo has sidecar pods of three IP modes');
  const proxies = pods.map((pod, i) => FakeProxy.connect(t, demo.xds, pod, i === 0));
  const held = proxies[0] as FakeProxy;
  const dual = proxies.find((_, i) => pods[i]?.ips.length === 2) as FakeProxy;
  const settled = (s: Syncz): boolean =>
    s.proxies.length === proxies.length && proxies.every((p) => statesOf(s, p.nodeId).length === 2) &&
    statesOf(s, held.nodeId).some(([, st]) => st === 'STALE') && s.proxies.every((p) => p.nodeId === held.nodeId || statesOf(s, p.nodeId).every(([, st]) => st === 'SYNCED'));
  let syncz = await until(() => getJson<Syncz>(demo.admin, '/debug/syncz'), settled, 'every proxy ACKed, the held LDS STALE');

  const browser = await chromium.launch({ executablePath: chromiumBinary() as string, args: ['--no-sandbox'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const external: string[] = [];
  page.on('request', (r) => (new URL(r.url()).origin === demo.admin ? undefined : external.push(r.url())));
  await page.goto(`${demo.admin}/ui`);

  await expectCounts(page, expectedCounts(model));
  await expectText(page, '#count-proxies', String(syncz.proxies.length), 'every connected proxy is listed');
  for (const p of proxies) await expectSync(page, syncz, p.nodeId);
  const rows = await page.locator('#pods tbody tr').count();
  assert.equal(rows, model.pods.length, 'one row per pod');
  for (const pod of pods) {
    const mode = pod.ips.length === 2 ? 'Dual' : pod.ips[0]?.family;
    await expectText(page, `#pods tr[data-pod="${pod.namespace}/${pod.name}"] .mode`, mode ?? '', `${pod.name}'s IP mode`);
  }

  const reach = await getJson<Reachability>(demo.admin, '/debug/reachability');
  for (const r of reach.reached) await expectText(page, `#count-reached-${r.family.toLowerCase()}`, String(r.calls), `${r.family} reach count`);
  assert.equal(await page.locator('#reachability tbody tr').count(), reach.rows.length, 'one matrix row per pod proxy');

  // Sync state is live: the held-back listener response is ACKed and the page shows SYNCED without a reload.
  held.release();
  syncz = await until(() => getJson<Syncz>(demo.admin, '/debug/syncz'), (s) => statesOf(s, held.nodeId).every(([, st]) => st === 'SYNCED'), 'the ACK is seen');
  await expectSync(page, syncz, held.nodeId);
  await expectText(page, '#count-synced', String(syncz.proxies.length), 'every proxy is fully synced');

  // The request path of a dual proxy to a dual-stack service, for an IPv4 and an IPv6 call.
  const service = model.services.find((s) => new Set(s.vips.map((v) => v.family)).size === 2 && s.kind === 'Service' && s.ports.length > 0);
  assert.ok(service, 'the demo has a dual-stack service');
  await page.selectOption('#path-proxy', dual.nodeId);
  await page.selectOption('#path-service', service.hostname);
  const query = new URLSearchParams({ proxyID: dual.nodeId, host: service.hostname });
  const { paths } = await getJson<{ paths: RequestPath[] }>(demo.admin, `/debug/request-path?${query}`);
  assert.deepEqual(paths.map((p) => [p.family, p.verdict]), [['IPv4', 'reached'], ['IPv6', 'reached']]);
  for (const p of paths) {
    const lane = `#path .lane[data-family="${p.family}"]`;
    for (const [step, value] of [['listener', p.listener], ['route', p.routeConfig], ['cluster', p.cluster]] as const) {
      await expectText(page, `${lane} [data-step="${step}"] b`, value ?? '', `${p.family} ${step}`);
    }
    await expectText(page, `${lane} [data-step="endpoints"] b`, (p.upstreams ?? []).map((u) => u.join(' + ')).join(', '), `${p.family} endpoints`);
  }

  // A manifest edit shows up live: a new dual-stack service with both VIPs.
  await writeFile(path.join(demo.dir, 'ui-added.yaml'), ADDED);
  const edited = await until(() => getJson<MeshModel>(demo.admin, '/debug/registryz'), (m) => m.services.length === model.services.length + 1, 'the new service is served');
  await expectCounts(page, expectedCounts(edited));
  const added = edited.services.find((s) => s.name === 'ui-added');
  assert.ok(added);
  for (const f of ['IPv4', 'IPv6'] as const) {
    const vip = added.vips.filter((v) => v.family === f).map((v) => v.ip).join(', ');
    await expectText(page, `#services tr[data-service="${added.hostname}"] .vips-${f.toLowerCase()}`, vip, `the new service's ${f} VIP`);
  }

  // ... and the proxies' new versions, once ACKed, show as synced again.
  const allSynced = (s: Syncz): boolean => s.proxies.every((p) => statesOf(s, p.nodeId).every(([, st]) => st === 'SYNCED'));
  syncz = await until(() => getJson<Syncz>(demo.admin, '/debug/syncz'), allSynced, 'the push after the edit is ACKed');
  for (const p of proxies) await expectSync(page, syncz, p.nodeId);
  await expectText(page, '#count-synced', String(proxies.length), 'every proxy is synced after the edit');

  assert.deepEqual(external, [], 'the page fetches nothing from anywhere else');
  await mkdir(OUTPUT, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT, 'ui.png'), fullPage: true });
});
