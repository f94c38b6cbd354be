// The web view's pure pages over the demo model: the mesh lists, the reachability matrix and request paths, the
// answers to bad questions, and the live feed's coalescing. No browser, no server.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { buildModel, checkModel, indexModel, servableModel } from '../../src/model/index.ts';
import type { IPFamily, ModelIndex, Proxy, Service } from '../../src/model/index.ts';
import { loadManifests } from '../../src/sources/files/index.ts';
import { ChangeFeed, MAX_EVENT_STREAMS } from '../../src/server/ui/events.ts';
import { meshOverview } from '../../src/server/ui/mesh.ts';
import { UI_CSS, UI_HTML } from '../../src/server/ui/page.ts';
import { podProxies, reachability } from '../../src/server/ui/reachability.ts';
import { proxyConfig, requestPath } from '../../src/server/ui/request-path.ts';
import { UI_SCRIPT } from '../../src/server/ui/script.ts';
import { pathAnswer } from '../../src/server/ui/view.ts';
import type { BuildContext } from '../../src/server/proxy-build.ts';

const DEMO = path.join(import.meta.dirname, '../../examples/demo');

async function demoIndex(): Promise<ModelIndex> {
  const built = buildModel((await loadManifests(DEMO)).objects);
  return indexModel(servableModel(built.model, checkModel(built.model)));
}

function proxyOf(index: ModelIndex, pod: string): Proxy {
  const proxy = podProxies(index).find((p) => `${p.namespace}/${p.pod}` === pod);
  assert.ok(proxy, `a proxy for ${pod}`);
  return proxy;
}

function serviceOf(index: ModelIndex, name: string): Service {
  const service = index.model.services.find((s) => s.name === name);
  assert.ok(service, `service ${name}`);
  return service;
}

function verdicts(index: ModelIndex, pod: string, service: string): Record<IPFamily, string> {
  const config = proxyConfig(index, proxyOf(index, pod), 'shared');
  const s = serviceOf(index, service);
  const [v4, v6] = (['IPv4', 'IPv6'] as const).map((f) => requestPath(index, config, s, s.ports[0] as Service['ports'][number], f).verdict);
  return { IPv4: v4 as string, IPv6: v6 as string };
}

test('the mesh overview keeps each service VIPs in clusterIPs order with their families and names each pod IP mode', async () => {
  const index = await demoIndex();
  const mesh = meshOverview(index.model);
  const catalog = mesh.services.find((s) => s.hostname.startsWith('catalog.'));
  assert.deepEqual(catalog?.vips.map((v) => v.family), ['IPv6', 'IPv4']);
  assert.equal(mesh.pods.find((p) => p.name === 'client-v6')?.mode, 'IPv6');
  assert.equal(mesh.pods.find((p) => p.name === 'client-dual6')?.mode, 'Dual');
  assert.equal(mesh.pods.find((p) => p.name === 'greeter-0')?.proxy, 'proxyless');
  assert.deepEqual(meshOverview(undefined), { ready: false, clusterFamilies: [], services: [], pods: [] });
});

test('a dual proxy reaches a dual-stack service over both families and a single-stack one only over its family', async () => {
  const index = await demoIndex();
  assert.deepEqual(verdicts(index, 'demo/client-dual', 'frontend'), { IPv4: 'reached', IPv6: 'reached' });
  assert.deepEqual(verdicts(index, 'demo/client-dual', 'legacy-db'), { IPv4: 'reached', IPv6: 'no-address' });
  assert.deepEqual(verdicts(index, 'demo/client-dual', 'metrics'), { IPv4: 'no-address', IPv6: 'reached' });
});

test('a single-family proxy never calls over the family it lacks', async () => {
  const index = await demoIndex();
  assert.deepEqual(verdicts(index, 'demo/client-v4', 'frontend'), { IPv4: 'reached', IPv6: 'proxy-lacks-family' });
  assert.deepEqual(verdicts(index, 'demo/client-v6', 'frontend'), { IPv4: 'proxy-lacks-family', IPv6: 'reached' });
});

test('a headless service is dialled at an endpoint address of the call family and drawn through its listener', async () => {
  const index = await demoIndex();
  const config = proxyConfig(index, proxyOf(index, 'demo/client-dual'), 'shared');
  const cache = serviceOf(index, 'cache');
  const path6 = requestPath(index, config, cache, cache.ports[0] as Service['ports'][number], 'IPv6');
  assert.equal(path6.verdict, 'reached');
  assert.ok(path6.destination?.includes(':'), 'an IPv6 endpoint address');
  assert.equal(path6.listener, `${path6.destination}_6379`);
  assert.equal(path6.upstreamFamily, 'IPv6');
});

test('a proxyless app dials a VIP through its api_listener and reaches the service endpoints', async () => {
  const index = await demoIndex();
  const config = proxyConfig(index, proxyOf(index, 'demo/greeter-0'), 'shared');
  const frontend = serviceOf(index, 'frontend');
  const p = requestPath(index, config, frontend, frontend.ports[0] as Service['ports'][number], 'IPv6');
  assert.equal(p.verdict, 'reached');
  assert.equal(p.call, `xds:///[${p.destination}]:80`);
  assert.ok((p.upstreams ?? []).length > 0);
});

test('the reachability matrix has a row per pod proxy and counts only calls that reached', async () => {
  const index = await demoIndex();
  const proxies = podProxies(index);
  const matrix = reachability(index, proxies, 'shared');
  assert.equal(matrix.rows.length, proxies.length);
  for (const family of ['IPv4', 'IPv6'] as const) {
    const reached = matrix.rows.flatMap((r) => r.cells.flat()).filter((c) => c.family === family && c.verdict === 'reached').length;
    assert.equal(matrix.reached.find((r) => r.family === family)?.calls, reached);
    assert.ok(reached > 0);
  }
  const v4 = matrix.rows.find((r) => r.proxy === 'demo/client-v4');
  assert.ok(v4?.cells.every((c) => c.find((x) => x.family === 'IPv6')?.verdict === 'proxy-lacks-family'));
});

test('a matrix past its limits covers the first proxies and services and says how many it left out', async () => {
  const index = await demoIndex();
  const proxies = podProxies(index);
  const matrix = reachability(index, proxies, 'shared', undefined, { proxies: 2, services: 3 });
  assert.equal(matrix.rows.length, 2);
  assert.ok(matrix.rows.every((r) => r.cells.length === 3));
  assert.deepEqual(matrix.omitted, { proxies: proxies.length - 2, services: index.model.services.filter((s) => s.ports.length > 0).length - 3 });
});

test('the request-path page says what is wrong with a question it cannot answer', async () => {
  const index = await demoIndex();
  const ctx = { model: index.model, index, strategy: 'shared' } as unknown as BuildContext;
  const state = { context: () => ctx, connected: () => undefined };
  const ask = (q: Record<string, string>): number => pathAnswer(state, new URLSearchParams(q)).status;
  const id = proxyOf(index, 'demo/client-dual').id;
  assert.equal(ask({}), 400);
  assert.equal(ask({ proxyID: 'nobody', host: 'frontend.shop.svc.cluster.local' }), 404);
  assert.equal(ask({ proxyID: id, host: 'nothing.example' }), 404);
  assert.equal(ask({ proxyID: id, host: 'frontend.shop.svc.cluster.local', port: '1' }), 404);
  assert.equal(ask({ proxyID: id, host: 'frontend.shop.svc.cluster.local', family: 'IPv5' }), 400);
  assert.equal(ask({ proxyID: id, host: 'frontend.shop.svc.cluster.local', family: 'IPv6' }), 200);
  assert.equal(pathAnswer({ context: () => undefined, connected: () => undefined }, new URLSearchParams()).status, 503);
});

test('the page assets name no other origin, so the page works offline and under its CSP', () => {
  for (const asset of [UI_HTML, UI_CSS, UI_SCRIPT]) assert.doesNotMatch(asset, /\b(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
  assert.match(UI_HTML, /<script type="module" src="\/ui\/app.js">/);
});

/** A stand-in response that records what is written to it. */
function fakeResponse(): { res: http.ServerResponse; frames: string[]; req: http.IncomingMessage } {
  const frames: string[] = [];
  const res = { writeHead: () => res, write: (s: string) => frames.push(s), end: () => undefined } as unknown as http.ServerResponse;
  return { res, frames, req: new EventEmitter() as unknown as http.IncomingMessage };
}

test('the live feed tells a new page to load everything and coalesces a burst of changes into one event', async () => {
  const feed = new ChangeFeed();
  const { res, frames, req } = fakeResponse();
  feed.attach(req, res);
  assert.match(frames[0] ?? '', /"topics":\["model","sync"\]/);
  for (let i = 0; i < 50; i++) feed.notify(i % 2 ? 'sync' : 'model');
  // Every notify came before the coalescing timer could fire, so the burst can only ever make one event.
  for (let i = 0; i < 500 && frames.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(frames.length, 2, 'one event for the burst');
  assert.match(frames[1] ?? '', /event: change\ndata: \{"seq":1,"topics":\["model","sync"\]\}/);
  (req as unknown as EventEmitter).emit('close');
  assert.equal(feed.clients, 0);
  feed.close();
});

test('the live feed refuses event streams past its limit', () => {
  const feed = new ChangeFeed();
  for (let i = 0; i < MAX_EVENT_STREAMS; i++) feed.attach(fakeResponse().req, fakeResponse().res);
  let status = 0;
  const res = { writeHead: (s: number) => ((status = s), res), end: () => undefined } as unknown as http.ServerResponse;
  feed.attach(new EventEmitter() as unknown as http.IncomingMessage, res);
  assert.equal(status, 503);
  assert.equal(feed.clients, MAX_EVENT_STREAMS);
  feed.close();
});
