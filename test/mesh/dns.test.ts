// DNS in the namespace mesh: pods run `biplane capture --capture-dns --apply` and `biplane agent` (as the proxy user,
// with a real Envoy), their resolv.conf names a resolver on an outside host, and the pod's own resolver (glibc's
// `getent ahosts`, Node's `dns.lookup` with family 0, dig) gets both VIPs of a dual-stack service, only A in an IPv4-only
// pod, a ServiceEntry host's auto-allocated VIPs (and TLS to that host by name, over each family, leaves through the
// ServiceEntry's cluster to the outside app), and outside names from the outside resolver.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO, must, run } from '../capture/netns.ts';
import { serve } from '../envoy/sidecar.ts';
import { waitFor } from '../support/envoy.ts';
import { envoyBinary, requireOrSkip } from '../support/requirements.ts';
import { NAMESPACE, writeCluster, type ClusterSpec } from './manifests.ts';
import { createNetwork, type Host } from './net.ts';

const skip = requireOrSkip('DNS in the namespace mesh', ['root', 'envoy', 'ip', 'iptables', 'ip6tables', 'curl']);
const BIN = path.join(REPO, 'bin/biplane.js');
const FAKE_DNS = path.join(REPO, 'test/agent/fake-dns.mjs');
const PROXY_UID = 1337;
const APP_UID = 1000;

const IPS = { dual: ['198.18.0.31', '2001:db8::31'], v4: ['198.18.0.32'], resolver: ['198.18.0.53', '2001:db8::53'] } as const;
const WEB_VIPS = ['198.19.0.31', '2001:db8:96::31'];

const cluster: ClusterSpec = {
  pods: [
    { name: 'dual', ips: IPS.dual, labels: { app: 'dual' } },
    { name: 'v4', ips: IPS.v4, labels: { app: 'v4' } },
  ],
  services: [{ name: 'web', vips: WEB_VIPS, selector: { app: 'dual' }, ports: [{ name: 'http-web', port: 80, targetPort: 8080 }] }],
};

const SERVICE_ENTRY = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: api, namespace: ${NAMESPACE} }
spec:
  hosts: [api.example.test]
  ports: [{ number: 8443, name: tls, protocol: TLS }]
  resolution: STATIC
  endpoints: [{ address: 198.18.0.53 }, { address: "2001:db8::53" }]
`;

/** A TLS (PSK, as mesh-app.mjs speaks it) client dialing a name over one family; prints what it dialed and the reply. */
const TLS_CLIENT = `const tls = require('node:tls');
const [host, port, family] = process.argv.slice(1);
const psk = Buffer.from('6d6573682d746573742d707265736861726564', 'hex');
const s = tls.connect({ host, port: Number(port), family: Number(family), pskCallback: () => ({ psk, identity: 'mesh' }),
  checkServerIdentity: () => undefined, ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' });
let dialed = '';
let data = '';
const timer = setTimeout(() => { finish({ error: 'timeout' }); process.exit(0); }, 10000);
s.on('secureConnect', () => { dialed = s.remoteAddress; s.write('hello\\n'); });
s.on('data', (d) => (data += d));
let done = false;
const finish = (result) => { if (done) return; done = true; clearTimeout(timer); console.log(JSON.stringify(result)); };
s.on('end', () => finish(dialed ? { dialed, reply: data.trim() } : { error: 'closed before the handshake' }));
s.on('error', (e) => finish({ error: e.code ?? String(e) }));`;

/** Starts a long-running child in `ns` (optionally as `uid`); t.after ends it. Resolves with its output getter. */
function spawnIn(t: TestContext, ns: string, uid: number | undefined, args: readonly string[]): { output: () => string; exit: Promise<unknown> } {
  const user = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
  // stdin stays open while the test runs: mesh-app.mjs exits when it closes.
  const child = spawn('ip', ['netns', 'exec', ns, ...user, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.on('error', () => undefined);
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise((resolve) => child.on('exit', resolve));
  t.after(async () => {
    child.stdin?.end();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      for (const m of text.matchAll(/envoy started \(pid (\d+)/g)) {
        try {
          process.kill(Number(m[1]), 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, 15_000);
    await exit;
    clearTimeout(timer);
    if (!(t as unknown as { passed?: boolean }).passed) console.log(`--- ${args.slice(0, 3).join(' ')} in ${ns} ---\n${text.slice(-3000)}\n---`);
  });
  return { output: () => text, exit };
}

/** Runs a command in `ns` as the app user and returns its stdout (throws on failure). */
async function asApp(ns: string, args: readonly string[]): Promise<string> {
  return must('ip', ['netns', 'exec', ns, 'setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', ...args]);
}

/** The addresses `getent ahosts` prints for `name` (glibc's resolver, with the pod's search domains). */
async function ahosts(ns: string, name: string): Promise<string[]> {
  const r = await run('ip', ['netns', 'exec', ns, 'setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', 'getent', 'ahosts', name]);
  return [...new Set(r.stdout.split('\n').map((l) => l.split(/\s+/)[0] ?? '').filter((ip) => ip !== ''))].sort();
}

/** What Node's dns.lookup (family 0, all) returns in `ns`. */
async function nodeLookup(ns: string, name: string): Promise<string[]> {
  const script = "require('node:dns').lookup(process.argv[1], { family: 0, all: true }, (e, a) => console.log(e ? e.code : a.map((x) => x.address).join(',')))";
  const out = (await asApp(ns, [process.execPath, '-e', script, name])).trim();
  return out.split(',').sort();
}

test('the pod resolver gets mesh names and ServiceEntry VIPs from the agent, and outside names from the outside resolver', { skip, timeout: 240_000 }, async (t) => {
  const net = await createNetwork([
    { name: 'dual', ips: IPS.dual, etcHosts: [] },
    { name: 'v4', ips: IPS.v4, etcHosts: [] },
    { name: 'resolver', ips: IPS.resolver },
  ]);
  t.after(() => net.destroy());
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-mesh-dns-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const manifests = path.join(dir, 'manifests');
  mkdirSync(manifests);
  writeCluster(manifests, cluster);
  writeFileSync(path.join(manifests, 'service-entry.yaml'), SERVICE_ENTRY);
  const socket = path.join(dir, 'xds.sock');
  const served = await serve(manifests, socket);
  t.after(() => served.proc.kill());
  chmodSync(socket, 0o666);

  const resolver = spawnIn(t, net.host('resolver').ns, undefined, [process.execPath, FAKE_DNS, JSON.stringify({ 'outside.example.org': ['198.18.0.99', '2001:db8::99'] }), ...IPS.resolver]);
  await waitFor(() => resolver.output().includes('ready'), 15_000, () => `the outside resolver to start: ${resolver.output()}`);

  const app = spawnIn(t, net.host('resolver').ns, undefined, [process.execPath, path.join(REPO, 'test/mesh/mesh-app.mjs'), JSON.stringify({ name: 'outside', ports: [8443], families: ['IPv4', 'IPv6'], maxMs: 600_000 })]);
  await waitFor(() => app.output().includes('{"ready":true}'), 15_000, () => `the outside app to start: ${app.output()}`);

  const pods: Host[] = [net.host('dual'), net.host('v4')];
  for (const pod of pods) {
    const nameserver = pod.ips.length > 1 ? IPS.resolver[1] : IPS.resolver[0];
    writeFileSync(`/etc/netns/${pod.ns}/resolv.conf`, `search ${NAMESPACE}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${nameserver}\noptions ndots:5 timeout:2 attempts:2\n`);
    await must('ip', ['netns', 'exec', pod.ns, process.execPath, BIN, 'capture', '--ips', pod.ips.join(','), '--capture-dns', '--apply']);
    const work = path.join(dir, `agent-${pod.name}`);
    mkdirSync(work);
    chmodSync(work, 0o777);
    spawnIn(t, pod.ns, PROXY_UID, [
      process.execPath, BIN, 'agent', '--xds-address', `unix:${socket}`, '--manifests', manifests, '--pod', `${NAMESPACE}/${pod.name}`,
      '--envoy', envoyBinary() ?? 'envoy', '--work-dir', work, '--drain-seconds', '1',
    ]);
  }
  for (const pod of pods) {
    await waitFor(async () => {
      const r = await run('ip', ['netns', 'exec', pod.ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-m', '2', `http://${pod.ips[0]?.includes(':') ? `[${pod.ips[0]}]` : pod.ips[0]}:15021/healthz/ready`]);
      return r.stdout === '200';
    }, 90_000, `${pod.name}'s agent to report ready`);
  }
  const dualNs = net.host('dual').ns;
  const v4Ns = net.host('v4').ns;
  const web = `web.${NAMESPACE}.svc.cluster.local`;
  await waitFor(async () => (await ahosts(dualNs, web)).length === 2, 30_000, 'the dual pod to resolve the service');
  assert.deepEqual(await ahosts(dualNs, web), [...WEB_VIPS].sort());
  assert.deepEqual(await ahosts(dualNs, 'web'), [...WEB_VIPS].sort());
  assert.deepEqual(await nodeLookup(dualNs, web), [...WEB_VIPS].sort());
  await waitFor(async () => (await ahosts(v4Ns, web)).length > 0, 30_000, 'the IPv4 pod to resolve the service');
  assert.deepEqual(await ahosts(v4Ns, web), ['198.19.0.31']);
  assert.deepEqual(await nodeLookup(v4Ns, 'web'), ['198.19.0.31']);
  // dig (Debian's dnsutils) asks the nameserver of resolv.conf directly, one type at a time.
  if ((await run('sh', ['-c', 'command -v dig'])).code === 0) {
    const dig = async (ns: string, type: string): Promise<string> => (await asApp(ns, ['dig', '+short', '+tries=1', '+time=3', web, type])).trim();
    assert.equal(await dig(dualNs, 'AAAA'), '2001:db8:96::31');
    assert.equal(await dig(dualNs, 'A'), '198.19.0.31');
    assert.equal(await dig(v4Ns, 'AAAA'), '');
  } else t.diagnostic('dig not installed: its part skipped');
  const api = await ahosts(dualNs, 'api.example.test');
  assert.equal(api.length, 2, `api.example.test → ${api.join(',')}`);
  assert.ok(api.some((ip) => ip.startsWith('240.240.')) && api.some((ip) => ip.startsWith('2001:2:')), api.join(','));
  for (const family of [4, 6]) {
    const printed = await asApp(dualNs, [process.execPath, '-e', TLS_CLIENT, 'api.example.test', '8443', String(family)]);
    t.diagnostic(`TLS over IPv${family}: ${printed.trim()}`);
    const out = JSON.parse(printed) as { dialed?: string; reply?: string; error?: string };
    assert.equal(out.error, undefined, `TLS to api.example.test over IPv${family}`);
    assert.ok(api.includes(out.dialed ?? ''), `dialed ${out.dialed}, one of the ServiceEntry's VIPs`);
    assert.equal(out.dialed?.includes(':'), family === 6);
    const seen = JSON.parse(out.reply ?? '{}') as { app?: string; proto?: string };
    assert.deepEqual([seen.app, seen.proto], ['outside', 'tls']);
  }
  const stats = await must('ip', ['netns', 'exec', dualNs, 'curl', '-s', '-m', '5', 'http://127.0.0.1:15000/stats?filter=api.example.test.*upstream_cx_total']);
  assert.match(stats, /cluster\.outbound\|8443\|\|api\.example\.test\.upstream_cx_total: [2-9]/);
  assert.deepEqual(await ahosts(dualNs, 'outside.example.org'), ['198.18.0.99', '2001:db8::99']);
  assert.deepEqual(await ahosts(v4Ns, 'outside.example.org'), ['198.18.0.99', '2001:db8::99']);
});
