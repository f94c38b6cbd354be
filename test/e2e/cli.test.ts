// `biplane serve` as a user runs it: a separate process on the demo cluster, ephemeral ports announced on stdout, a
// raw ADS client as one demo pod's sidecar, syncz and metrics over HTTP, then SIGTERM and a clean exit 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { TypeUrl } from '../../src/xds/index.ts';
import { openSotw, sotwNames } from '../xds/raw-client.ts';
import type { RawStream, SotwResponse } from '../xds/raw-client.ts';
import { getText, poll } from './harness.ts';

const BIN = new URL('../../bin/biplane.js', import.meta.url).pathname;
const DEMO = new URL('../../examples/demo', import.meta.url).pathname;

interface Listening {
  xds: string[];
  admin: string;
}

/** Starts `biplane serve` and resolves with its announced addresses (bounded). */
function serve(args: readonly string[]): { child: ChildProcess; listening: Promise<Listening>; stdout: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<Listening>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no biplane-listening line within 30 s; stderr: ${err}`)), 30_000).unref();
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('biplane-listening '));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('biplane-listening '.length)) as Listening);
      }
    });
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`biplane serve exited with ${code}: ${err}`));
    });
  });
  return { child, listening, stdout: () => out, exit };
}

const NODE = {
  id: 'sidecar~10.244.3.10~client-dual.demo~demo.svc.cluster.local',
  metadata: { fields: { NAMESPACE: { stringValue: 'demo' }, INSTANCE_IPS: { stringValue: '10.244.3.10,fd00:10:244:3::10' } } },
};

function ack(s: RawStream<SotwResponse>, r: SotwResponse, names: string[] = []): void {
  s.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names });
}

test('biplane serve runs the demo as a process: ADS, syncz, metrics, SIGTERM exits 0', { timeout: 90_000 }, async (t) => {
  const proc = serve(['--manifests', DEMO, '--xds-address', '127.0.0.1:0', '--xds-address', '[::1]:0', '--admin-address', '127.0.0.1:0', '--quiet']);
  let stream: RawStream<SotwResponse> | undefined;
  t.after(() => {
    stream?.close();
    if (proc.child.exitCode === null) proc.child.kill('SIGKILL');
  });
  const { xds, admin } = await proc.listening;
  assert.equal(xds.length, 2);
  assert.match(proc.stdout(), /greeter\.demo\.svc\.cluster\.local/);
  assert.match(proc.stdout(), /demo\/client-dual\s+Dual/);
  assert.match(proc.stdout(), /node bin\/biplane\.js bootstrap --manifests \S+ --proxy demo\/\S+ --xds-address 127\.0\.0\.1:\d+/);
  assert.equal((await getText(admin, '/ready')).status, 200);

  // A sidecar of demo/client-dual over the IPv6 address: CDS, then EDS for its clusters, then LDS.
  stream = openSotw(xds[1] as string);
  stream.send({ node: NODE, type_url: TypeUrl.Cluster });
  const cds = await stream.next(10_000);
  const clusters = sotwNames(cds);
  assert.ok(clusters.includes('outbound|80||frontend.shop.svc.cluster.local'), clusters.join(' '));
  ack(stream, cds);
  const eds = clusters.filter((c) => c.startsWith('outbound|80||frontend'));
  stream.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: eds });
  const edsRes = await stream.next(10_000);
  assert.deepEqual(sotwNames(edsRes), eds);
  ack(stream, edsRes, eds);
  stream.send({ type_url: TypeUrl.Listener });
  const lds = await stream.next(10_000);
  assert.ok(sotwNames(lds).includes('virtualOutbound'), sotwNames(lds).join(' '));
  ack(stream, lds);

  const synced = await poll(async () => {
    const sz = JSON.parse((await getText(admin, '/debug/syncz')).body) as {
      proxies: { nodeId: string; ipMode: string; streams: { types: { type: string; status: string; ackedVersion: string }[] }[] }[];
    };
    const p = sz.proxies.find((x) => x.nodeId === NODE.id);
    const types = p?.streams[0]?.types ?? [];
    return types.length === 3 && types.every((x) => x.status === 'SYNCED') ? p : undefined;
  }, 'syncz to show cds, eds and lds SYNCED');
  assert.equal(synced.ipMode, 'Dual');
  assert.equal(synced.streams[0]?.types.find((x) => x.type === 'cds')?.ackedVersion, cds.version_info);

  const metrics = (await getText(admin, '/metrics')).body;
  assert.match(metrics, /^pilot_xds 1$/m);
  assert.match(metrics, /^pilot_xds_pushes\{type="cds"\} 1$/m);
  assert.match(metrics, /^pilot_services 11$/m);
  assert.match(metrics, /^# TYPE pilot_xds_config_size_bytes histogram$/m);

  const dump = JSON.parse((await getText(admin, `/debug/config_dump?proxyID=${encodeURIComponent(NODE.id)}`)).body) as {
    configs: { '@type': string }[];
  };
  assert.deepEqual(dump.configs.map((c) => c['@type'].split('.').pop()), ['ClustersConfigDump', 'ListenersConfigDump', 'RoutesConfigDump', 'EndpointsConfigDump']);

  proc.child.kill('SIGTERM');
  const status = await stream.status(10_000);
  assert.equal(status.code, 0, `the stream ends with OK, not ${status.code} ${status.details}`);
  const code = await Promise.race([proc.exit, new Promise((r) => setTimeout(() => r('timeout'), 15_000).unref())]);
  assert.equal(code, 0);
});

test('biplane serve says clearly when its port is taken', { timeout: 60_000 }, async (t) => {
  const first = serve(['--manifests', DEMO, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--quiet']);
  t.after(() => {
    if (first.child.exitCode === null) first.child.kill('SIGKILL');
  });
  const { xds } = await first.listening;
  const second = serve(['--manifests', DEMO, '--xds-address', xds[0] as string, '--admin-address', '127.0.0.1:0', '--quiet']);
  let stderr = '';
  second.child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  second.listening.catch(() => undefined);
  const code = await Promise.race([second.exit, new Promise((r) => setTimeout(() => r('timeout'), 30_000).unref())]);
  if (code === 'timeout') second.child.kill('SIGKILL');
  assert.equal(code, 1);
  assert.match(stderr, new RegExp(`cannot bind ${xds[0]?.replace(/[.[\]]/g, '\\$&')}.*already in use`));
  first.child.kill('SIGTERM');
  assert.equal(await first.exit, 0);
});
