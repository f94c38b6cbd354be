// `biplane proxy-status` and `biplane proxy-config` against a real `biplane serve` on a copy of the demo cluster,
// with real ADS clients for a dual-stack, an IPv4-only and an IPv6-only pod, one of which NACKs LDS. Expectations
// come from the demo manifests (IPs, families) and from the config dump the server serves.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { TypeUrl } from '../../src/xds/index.ts';
import { ServeProcess } from '../support/serve.ts';
import { connectSidecar, sidecarNodeId, type PodNode } from './sidecar-client.ts';

const REPO = path.join(import.meta.dirname, '../..');
const BIN = path.join(REPO, 'bin/biplane.js');

/** The demo pods the clients play, read from the demo manifests. */
async function demoPods(names: readonly string[]): Promise<Map<string, PodNode>> {
  const text = await readFile(path.join(REPO, 'examples/demo/pods-demo.yaml'), 'utf8');
  const pods = new Map<string, PodNode>();
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as { metadata: { name: string; namespace: string }; status: { podIPs: { ip: string }[] } };
    if (names.includes(o.metadata.name)) pods.set(o.metadata.name, { namespace: o.metadata.namespace, name: o.metadata.name, ips: o.status.podIPs.map((p) => p.ip) });
  }
  assert.equal(pods.size, names.length, `demo pods ${names.join(', ')}`);
  return pods;
}

const isV6 = (ip: string): boolean => ip.includes(':');
/** The IP mode a pod's IPs make: biplane's names for one family or both. */
const modeOf = (pod: PodNode): string => (pod.ips.some(isV6) ? (pod.ips.some((ip) => !isV6(ip)) ? 'Dual' : 'IPv6') : 'IPv4');

/** What one CLI run printed. */
interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs the real CLI (`bin/biplane.js`). */
function biplane(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 99) : 0, out, err });
    });
  });
}

/** A table's rows as cells (columns are separated by runs of 3 spaces; cells hold single spaces only). */
function rows(table: string): { headers: string[]; cells: string[][] } {
  const lines = table.trimEnd().split('\n');
  const split = (l: string): string[] => l.split(/ {3,}/).map((c) => c.trim());
  return { headers: split(lines[0] ?? ''), cells: lines.slice(1).filter((l) => l.trim() !== '').map(split) };
}

/** The cells of one column. */
function column(table: { headers: string[]; cells: string[][] }, header: string): string[] {
  const i = table.headers.indexOf(header);
  assert.ok(i >= 0, `no column ${header} in ${table.headers.join(' | ')}`);
  return table.cells.map((r) => r[i] ?? '');
}

/** Families of the addresses in a cell ("10.0.0.1:80, [fd00::1]:80" → IPv4, IPv6). */
function families(cell: string): Set<string> {
  return new Set(cell.split(', ').filter((a) => /[.:]/.test(a) && a !== '-').map((a) => (a.startsWith('[') || /^[0-9a-f]*:[0-9a-f:]*$/i.test(a) ? 'IPv6' : 'IPv4')));
}

interface Mesh {
  readonly admin: string;
  readonly pods: Map<string, PodNode>;
}

/** Serves a temp copy of the demo (admin on [::1]) and connects the three clients; client-v4 NACKs LDS. */
async function servedMesh(t: TestContext): Promise<Mesh> {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-inspect-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(REPO, 'examples/demo'), dir, { recursive: true });
  const serve = ServeProcess.start(['--manifests', dir, '--xds-address', '127.0.0.1:0', '--admin-address', '[::1]:0', '--quiet']);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  const pods = await demoPods(['client-dual', 'client-v4', 'client-v6']);
  for (const [name, pod] of pods) {
    const stream = await connectSidecar(listening.xds[0] ?? '', pod, name === 'client-v4' ? TypeUrl.Listener : undefined);
    t.after(() => stream.close());
  }
  return { admin: `http://${listening.admin}`, pods };
}

test('proxy-status and proxy-config show a live dual-stack mesh', { timeout: 180_000 }, async (t) => {
  const mesh = await servedMesh(t);
  const pod = (name: string): PodNode => mesh.pods.get(name) as PodNode;

  await t.test('proxy-status has one row per proxy with its IP mode, SYNCED types and the NACK', async () => {
    const run = await biplane(['proxy-status', '--admin', mesh.admin]);
    assert.equal(run.code, 0, run.err);
    const table = rows(run.out.split('\n\n')[0] ?? '');
    assert.deepEqual(table.headers, ['NAME', 'TYPE', 'IP MODE', 'IPS', 'CDS', 'LDS', 'EDS', 'RDS', 'LAST PUSH']);
    assert.equal(table.cells.length, mesh.pods.size, run.out);
    for (const p of mesh.pods.values()) {
      const row = table.cells.find((r) => r[0] === `${p.name}.${p.namespace}`);
      assert.ok(row, `no row for ${p.name} in\n${run.out}`);
      assert.equal(row[2], modeOf(p), `${p.name} IP mode`);
      assert.equal(row[3], p.ips.join(', '));
      const expectLds = p.name === 'client-v4' ? 'NACKED' : 'SYNCED';
      assert.deepEqual(row.slice(4, 8), ['SYNCED', expectLds, 'SYNCED', 'SYNCED'], `${p.name}: ${row.join(' | ')}`);
      assert.match(row[8] ?? '', /^\d+(s|m\d+s)$/);
    }
    assert.match(run.out, /client-v4\.demo: LDS NACKED \(sotw\): test rejects type\.googleapis\.com\/envoy\.config\.listener\.v3\.Listener/);
  });

  await t.test('proxy-status -o json is the syncz proxies as served', async () => {
    const run = await biplane(['proxy-status', '--admin', mesh.admin, '-o', 'json']);
    assert.equal(run.code, 0, run.err);
    const proxies = JSON.parse(run.out) as { nodeId: string }[];
    assert.deepEqual(proxies.map((p) => p.nodeId).sort(), [...mesh.pods.values()].map(sidecarNodeId).sort());
  });

  for (const name of ['client-dual', 'client-v4', 'client-v6']) {
    await t.test(`proxy-config tables of ${name} show exactly the families it has`, async () => {
      const p = pod(name);
      const want = new Set(p.ips.map((ip) => (isV6(ip) ? 'IPv6' : 'IPv4')));
      const dumpRun = await biplane(['proxy-config', 'all', `${p.namespace}/${p.name}`, '--admin', mesh.admin, '-o', 'json']);
      assert.equal(dumpRun.code, 0, dumpRun.err);
      const dump = JSON.parse(dumpRun.out) as { configs: Record<string, unknown>[] };
      const listeners = (dump.configs[1]?.['dynamic_listeners'] as { name: string; active_state: { listener: Record<string, unknown> } }[]) ?? [];
      assert.ok(listeners.length > 0);

      const lrun = await biplane(['proxy-config', 'listeners', `${p.name}.${p.namespace}`, '--admin', mesh.admin]);
      assert.equal(lrun.code, 0, lrun.err);
      const lt = rows(lrun.out);
      assert.deepEqual(column(lt, 'NAME').sort(), listeners.map((l) => l.name).sort());
      const virtual = lt.cells.find((r) => r[0] === 'virtualOutbound');
      assert.ok(virtual);
      assert.deepEqual(families(virtual[1] ?? ''), want, `virtualOutbound addresses ${virtual[1]}`);
      const seen = new Set(column(lt, 'ADDRESSES').flatMap((c) => [...families(c)]));
      assert.deepEqual(seen, want, 'families over all listener addresses');
      // Every address the dump gives a listener is on its row.
      for (const l of listeners) {
        const row = lt.cells.find((r) => r[0] === l.name);
        const socket = (l.active_state.listener['address'] as { socket_address: { address: string; port_value?: number } }).socket_address;
        const shown = isV6(socket.address) ? `[${socket.address}]:${socket.port_value ?? 0}` : `${socket.address}:${socket.port_value ?? 0}`;
        assert.ok(row?.[1]?.split(', ').includes(shown), `${l.name}: ${shown} in ${row?.[1]}`);
        const extra = (l.active_state.listener['additional_addresses'] as unknown[] | undefined)?.length ?? 0;
        assert.equal(row?.[1]?.split(', ').length, 1 + extra, `${l.name} address count`);
      }

      const crun = await biplane(['proxy-config', 'clusters', sidecarNodeId(p), '--admin', mesh.admin]);
      assert.equal(crun.code, 0, crun.err);
      const ct = rows(crun.out);
      const inbound = ct.cells.find((r) => r[0] === 'InboundPassthroughCluster');
      const sources = p.ips.map((ip) => (isV6(ip) ? '::6' : '127.0.0.6'));
      assert.equal(inbound?.[6], sources.join(', '), 'bind sources, primary family first');

      const erun = await biplane(['proxy-config', 'endpoints', `${p.name}.${p.namespace}`, '--admin', mesh.admin]);
      assert.equal(erun.code, 0, erun.err);
      const endpoints = column(rows(erun.out), 'ENDPOINT');
      assert.ok(endpoints.length > 0);
      assert.deepEqual(new Set(endpoints.flatMap((c) => [...families(c)])), want, 'families over all endpoints');
      if (want.size === 2) assert.ok(endpoints.some((c) => families(c).size === 2), 'a dual-stack pod has an endpoint row with both families');
      else assert.ok(endpoints.every((c) => c.split(', ').length === 1), 'a single-stack proxy has one address per endpoint');
    });
  }

  await t.test('proxy-config -o json and -o yaml print the dump section as the server serves it', async () => {
    const p = pod('client-dual');
    const id = encodeURIComponent(sidecarNodeId(p));
    const served = (await (await fetch(`${mesh.admin}/debug/config_dump?proxyID=${id}`)).json()) as { configs: Record<string, unknown>[] };
    const section = served.configs.find((c) => String(c['@type']).endsWith('RoutesConfigDump'));
    const json = await biplane(['proxy-config', 'routes', 'client-dual.demo', '--admin', mesh.admin, '-o', 'json']);
    assert.deepEqual(JSON.parse(json.out), section);
    const yaml = await biplane(['proxy-config', 'routes', 'client-dual.demo', '--admin', mesh.admin, '-o', 'yaml']);
    assert.deepEqual(parse(yaml.out), section);
  });

  await t.test('an unknown pod is refused with the close matches', async () => {
    const run = await biplane(['proxy-config', 'listeners', 'client-dual', '--admin', mesh.admin]);
    assert.equal(run.code, 1);
    assert.equal(run.out, '');
    assert.match(run.err, /no connected proxy named "client-dual"/);
    assert.match(run.err, /client-dual\.demo/);
  });
});

test('the commands say clearly when no admin server answers', async () => {
  const run = await biplane(['proxy-status', '--admin', 'http://127.0.0.1:9']);
  assert.equal(run.code, 1);
  assert.match(run.err, /cannot reach the biplane admin server at http:\/\/127\.0\.0\.1:9 .*biplane serve/);
  const bad = await biplane(['proxy-config', 'listeners', 'a.b', '--admin', 'ftp://x']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--admin must be a URL/);
});
