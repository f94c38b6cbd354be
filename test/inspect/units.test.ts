// The inspection commands' pure parts (admin URLs, pod names, status rows, ages, tables) and the bearer token on
// the wire, against a loopback stand-in for an admin server that requires one.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { adminJson, adminTarget } from '../../src/cli/admin-client.ts';
import { adminPage, adminUrl } from '../../src/inspect/admin-url.ts';
import { matchProxy } from '../../src/inspect/pod-match.ts';
import { formatStatus, statusTable } from '../../src/inspect/status.ts';
import { readSyncz } from '../../src/inspect/syncz.ts';
import { formatAge, renderTable } from '../../src/inspect/table.ts';

/** A syncz page with the given proxies (pod.namespace, node id, per-type statuses on one stream). */
function syncz(...proxies: { nodeId: string; pod?: string; ns?: string; types?: Record<string, string>; push?: string }[]): unknown {
  return {
    proxies: proxies.map((p) => ({
      nodeId: p.nodeId,
      key: `${p.nodeId}#x`,
      ...(p.pod ? { pod: p.pod, namespace: p.ns, type: 'sidecar', ipMode: 'Dual', ips: ['198.18.0.1', '2001:db8::1'] } : {}),
      rejected: false,
      streams: [
        {
          kind: 'sotw',
          types: Object.entries(p.types ?? {}).map(([type, status]) => ({ type, status, ...(p.push ? { lastPush: p.push } : {}), ...(status === 'NACKED' ? { error: 'nope' } : {}) })),
        },
      ],
    })),
  };
}

test('--admin takes a URL of either family or a bare host:port, and nothing else', () => {
  assert.equal(adminUrl('http://[::1]:15014')?.href, 'http://[::1]:15014/');
  assert.equal(adminUrl('127.0.0.1:15014')?.href, 'http://127.0.0.1:15014/');
  assert.equal(adminUrl('[::1]:15014')?.href, 'http://[::1]:15014/');
  assert.equal(adminUrl('https://biplane.example/admin')?.href, 'https://biplane.example/admin/');
  assert.equal(adminUrl('ftp://x'), undefined);
  assert.equal(adminUrl('http://x/?a=1'), undefined);
  const base = adminUrl('http://[::1]:15014/prefix') as URL;
  assert.equal(adminPage(base, 'debug/config_dump', { proxyID: 'sidecar~a~b.c~d' }).href, 'http://[::1]:15014/prefix/debug/config_dump?proxyID=sidecar%7Ea%7Eb.c%7Ed');
});

test('a pod is found by name.namespace, namespace/name or node id', () => {
  const id = 'sidecar~198.18.0.1~web-0.shop~shop.svc.cluster.local';
  const proxies = readSyncz(syncz({ nodeId: id, pod: 'web-0', ns: 'shop' }, { nodeId: 'plain-node' }));
  for (const q of ['web-0.shop', 'shop/web-0', id]) {
    const match = matchProxy(q, proxies);
    assert.ok('nodeId' in match, q);
    assert.equal(match.nodeId, id);
  }
  assert.equal((matchProxy('plain-node', proxies) as { nodeId: string }).nodeId, 'plain-node');
});

test('an unknown pod names the close matches and an ambiguous one lists every node id', () => {
  const proxies = readSyncz(
    syncz(
      { nodeId: 'sidecar~198.18.0.1~web-0.shop~shop.svc.cluster.local', pod: 'web-0', ns: 'shop' },
      { nodeId: 'sidecar~2001:db8::1~web-0.shop~shop.svc.cluster.local', pod: 'web-0', ns: 'shop' },
      { nodeId: 'sidecar~198.18.0.2~db-0.data~data.svc.cluster.local', pod: 'db-0', ns: 'data' },
    ),
  );
  const unknown = matchProxy('web-1.shop', proxies);
  assert.ok('error' in unknown);
  assert.match(unknown.error, /no connected proxy named "web-1.shop"[^]*close matches:\n {2}web-0\.shop/);
  assert.doesNotMatch(unknown.error, /db-0/);
  const ambiguous = matchProxy('web-0.shop', proxies);
  assert.ok('error' in ambiguous);
  assert.match(ambiguous.error, /ambiguous: 2 connected proxies/);
  assert.match(ambiguous.error, /198\.18\.0\.1/);
  assert.match(ambiguous.error, /2001:db8::1/);
  assert.match((matchProxy('x', []) as { error: string }).error, /no proxy is connected/);
});

test('a proxy row shows the worst state of each type over its streams and the age of its last push', () => {
  const page = syncz({ nodeId: 'n', pod: 'web-0', ns: 'shop', types: { cds: 'SYNCED', lds: 'NACKED', eds: 'STALE' }, push: '2026-01-01T00:00:00.000Z' });
  const table = statusTable(readSyncz(page), Date.parse('2026-01-01T00:03:12.500Z'));
  assert.deepEqual(table.rows, [['web-0.shop', 'sidecar', 'Dual', '198.18.0.1, 2001:db8::1', 'SYNCED', 'NACKED', 'STALE', '-', '3m12s']]);
  assert.match(formatStatus(readSyncz(page), 0), /web-0\.shop: LDS NACKED \(sotw\): nope/);
  assert.equal(formatStatus([], 0), 'no proxies connected\n');
});

test('ages use the two largest units and tables align every column', () => {
  assert.deepEqual([0, 59_999, 61_000, 7_260_000, 90_000_000].map(formatAge), ['0s', '59s', '1m1s', '2h1m', '1d1h']);
  assert.equal(formatAge(undefined), '-');
  assert.equal(renderTable({ headers: ['A', 'BB'], rows: [['xxx', 'y'], ['z', '']] }), 'A     BB\nxxx   y\nz\n');
});

test('--admin-token sends the file’s token as a bearer token, and a refusal says which flag to use', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-token-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'token');
  await writeFile(file, 's3cret\n');
  const server = http.createServer((req, res) => {
    const ok = req.headers.authorization === 'Bearer s3cret';
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? '{"proxies":[]}' : '{"error":"token"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const admin = `http://[::1]:${(server.address() as AddressInfo).port}`;
  const withToken = await adminTarget(admin, file);
  assert.ok(typeof withToken !== 'string');
  assert.deepEqual(await adminJson(withToken, 'debug/syncz'), { proxies: [] });
  const without = await adminTarget(admin, undefined);
  assert.ok(typeof without !== 'string');
  const refused = await adminJson(without, 'debug/syncz');
  assert.ok(refused instanceof Error);
  assert.match(refused.message, /answered 401: it wants a token: --admin-token FILE/);
  assert.match(String(await adminTarget(admin, path.join(dir, 'missing'))), /--admin-token: cannot read/);
});
