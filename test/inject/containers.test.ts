// The injected containers work as Kubernetes would run them. The sidecar, taken from `biplane inject`'s output, runs
// as a real process with exactly its command and its environment as the kubelet resolves it (downward API, the
// emptyDir at its mount path, the projected token and the CA root's ConfigMap as files), in a network namespace with a
// real `biplane serve` running the workload CA (tokens reviewed by the fake API server): the agent gets the pod's
// certificate, writes the pod's bootstrap, starts Envoy with it, and readiness turns 200 once Envoy has its
// configuration over the TLS port. The init
// container's command, after Kubernetes' `$(VAR)` expansion, is a valid `biplane capture` invocation.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_INJECT, PROXY_NAME, ROOT_VOLUME, TOKEN_VOLUME, WORK_DIR, initContainer, type Interception } from '../../src/inject/index.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { TestCa } from '../support/pki.ts';
import { must, run } from '../capture/netns.ts';
import { waitFor } from '../support/envoy.ts';
import { envoyBinary, requireOrSkip } from '../support/requirements.ts';
import { ServeProcess } from '../support/serve.ts';

const skip = requireOrSkip('the injected sidecar with a real Envoy', ['root', 'envoy', 'ip', 'curl']);
const REPO = new URL('../../', import.meta.url).pathname;
const BIN = path.join(REPO, 'bin/biplane.js');
const POD = { POD_NAME: 'web-7d9f', POD_NAMESPACE: 'shop', POD_IPS: '198.18.0.9,2001:db8::9', SERVICE_ACCOUNT: 'web' };
/** Where biplane serve's TLS port (xDS and the CA) listens inside the test's namespace; the injected xDS address. */
const XDS = '[::1]:15012';
/** The pod's ServiceAccount token, as the kubelet projects it. */
const TOKEN = 'web-token';

type Container = Record<string, any>;

/** Kubernetes' expansion of `$(VAR)` in command and args: `$$` is a literal `$`, unknown names stay as written. */
function expand(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) =>
    m === '$$' ? '$' : name !== undefined && env[name] !== undefined ? env[name] : m,
  );
}

/** The container's environment as the kubelet would set it for POD. */
function envOf(container: Container): Record<string, string> {
  const byField: Record<string, string> = {
    'metadata.name': POD.POD_NAME,
    'metadata.namespace': POD.POD_NAMESPACE,
    'status.podIPs': POD.POD_IPS,
    'spec.serviceAccountName': POD.SERVICE_ACCOUNT,
  };
  return Object.fromEntries(
    (container['env'] as Container[]).map((e) => [e['name'], e['value'] ?? byField[e['valueFrom']['fieldRef']['fieldPath']] ?? '']),
  );
}

/** The sidecar `biplane inject` adds to a one-container Pod with `interception` (its annotation). */
function injectedSidecar(interception: Interception): Container {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: POD.POD_NAME, namespace: POD.POD_NAMESPACE, annotations: { 'sidecar.istio.io/interceptionMode': interception } },
    spec: { serviceAccountName: POD.SERVICE_ACCOUNT, containers: [{ name: 'web', image: 'registry.example/web:1' }] },
  };
  const r = spawnSync(process.execPath, [BIN, 'inject', '-f', '-', '--xds-address', XDS], { encoding: 'utf8', input: JSON.stringify(pod) });
  assert.equal(r.status, 0, r.stderr);
  const spec = (parse(r.stdout) as Container)['spec'];
  const sidecar = (spec['initContainers'] as Container[]).find((c) => c['name'] === PROXY_NAME);
  assert.ok(sidecar, 'the output has the sidecar');
  const volumes = new Map((spec['volumes'] as Container[]).map((v) => [v['name'], v]));
  for (const mount of sidecar['volumeMounts'] as Container[]) {
    const v = volumes.get(mount['name']);
    assert.ok(v?.['emptyDir'] ?? v?.['projected'] ?? v?.['configMap'], `${mount['name']} is a pod volume`);
  }
  return sidecar;
}

/** A fresh network namespace with loopback up, deleted when the test ends. */
async function namespace(t: TestContext): Promise<string> {
  const ns = `bpinject-${randomBytes(3).toString('hex')}`;
  await must('ip', ['netns', 'add', ns]);
  t.after(() => run('ip', ['netns', 'del', ns]).then(() => undefined));
  await must('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  return ns;
}

/** A running sidecar: the agent's pid (the process the container's command became), its output, Envoy's pids. */
interface Sidecar {
  readonly pid: number;
  output(): string;
  envoyPids(): number[];
}

/**
 * Runs `container` as the kubelet would: its command verbatim, its resolved environment, its emptyDir mounts as
 * fresh tmpfs (in the namespace's private mount table; `/run` is a tmpfs there, so `/var/run/...` needs no host
 * folder), and `biplane` and `envoy` on PATH. Stopped (SIGTERM, then SIGKILL with its Envoys) when the test ends.
 */
function runContainer(t: TestContext, ns: string, container: Container, rootPem: string): Sidecar {
  const bin = mkdtempSync(path.join(tmpdir(), 'biplane-sidecar-bin-'));
  chmodSync(bin, 0o755);
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(path.join(bin, 'biplane'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  symlinkSync(envoyBinary() ?? 'envoy', path.join(bin, 'envoy'));
  // The projected token and the root ConfigMap: files the kubelet would write into those volumes.
  writeFileSync(path.join(bin, 'biplane-token'), TOKEN);
  writeFileSync(path.join(bin, 'root-cert.pem'), rootPem);
  const contents: Record<string, string> = { [TOKEN_VOLUME]: 'biplane-token', [ROOT_VOLUME]: 'root-cert.pem' };
  const mounts = (container['volumeMounts'] as Container[]).map((m) => {
    const file = contents[m['name'] as string];
    const fill = file ? ` && cp '${path.join(bin, file)}' '${m['mountPath']}/${file}'` : '';
    return `mkdir -p '${m['mountPath']}' && mount -t tmpfs kubelet-volume '${m['mountPath']}'${fill}`;
  });
  const setup = ['mount -t tmpfs kubelet-run /run', ...mounts, 'exec "$@"'].join(' && ');
  const env = { ...envOf(container), PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` };
  const command = (container['command'] as string[]).map((a) => expand(a, env));
  const child = spawn('ip', ['netns', 'exec', ns, 'sh', '-c', setup, 'kubelet', ...command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const envoyPids = (): number[] => [...text.matchAll(/envoy started \(pid (\d+)/g)].map((m) => Number(m[1]));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      for (const pid of envoyPids()) kill(pid);
    }, 15_000);
    await exit;
    clearTimeout(timer);
  });
  return { pid: child.pid ?? 0, output: () => text, envoyPids };
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** `file` as process `pid` sees it, through `/proc/PID/root`, following its symlinks (`/var/run` → `/run`) there. */
function inRootOf(pid: number, file: string): string {
  const root = `/proc/${pid}/root`;
  const parts = file.split('/').filter(Boolean);
  let at = '';
  for (let i = 0; i < parts.length; i++) {
    const next = `${at}/${parts[i]}`;
    const link = (() => {
      try {
        return lstatSync(root + next).isSymbolicLink() ? readlinkSync(root + next) : undefined;
      } catch {
        return undefined;
      }
    })();
    at = link === undefined ? next : path.posix.resolve(link.startsWith('/') ? '/' : at, link);
  }
  return root + at;
}

/** The bootstrap the agent wrote, read through its own mount namespace (the tmpfs exists only there). */
async function bootstrapOf(t: TestContext, sidecar: Sidecar): Promise<Container> {
  const file = inRootOf(sidecar.pid, `${WORK_DIR}/envoy-bootstrap.json`);
  await waitFor(() => sidecar.envoyPids().length > 0 && existsSync(file), 60_000, () => `the agent to write ${file} and start Envoy:\n${sidecar.output()}`);
  const envoyArgs = readFileSync(`/proc/${sidecar.envoyPids()[0]}/cmdline`, 'utf8').split('\0');
  assert.equal(envoyArgs[envoyArgs.indexOf('-c') + 1], `${WORK_DIR}/envoy-bootstrap.json`, 'Envoy runs the bootstrap in the emptyDir');
  t.diagnostic(`envoy ${envoyArgs.join(' ')}`);
  return JSON.parse(readFileSync(file, 'utf8')) as Container;
}

/**
 * The fake API server, reached from inside `ns` at a loopback port of the namespace: a forwarder there (a Unix socket
 * crosses namespaces) to one in this process, which connects to the fake. Everything is closed when the test ends.
 */
async function apiServerIn(t: TestContext, ns: string, dir: string): Promise<{ fake: FakeApiServer; kubeconfig: string }> {
  const fake = await FakeApiServer.start();
  t.after(() => fake.close());
  const net = await import('node:net');
  const socket = path.join(dir, 'api.sock');
  const port = Number(new URL(fake.url).port);
  const bridge = net.createServer((c) => {
    const up = net.connect(port, '127.0.0.1');
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((resolve) => bridge.listen(socket, resolve));
  t.after(() => new Promise<void>((resolve) => bridge.close(() => resolve())));
  const script = `const net=require('node:net');net.createServer((c)=>{const u=net.connect(process.argv[1]);c.pipe(u).pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy());}).listen(16443,'127.0.0.1',()=>console.log('up'));`;
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => void child.kill('SIGKILL'));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, fake.kubeconfigYaml().replace(fake.url, 'http://127.0.0.1:16443'));
  return { fake, kubeconfig };
}

test("the injected sidecar's exact command and environment get the pod's certificate from serve's CA and its configuration over TLS", { skip, timeout: 180_000 }, async (t) => {
  const ns = await namespace(t);
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-inject-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { fake, kubeconfig } = await apiServerIn(t, ns, dir);
  fake.tokens.register(TOKEN, { namespace: POD.POD_NAMESPACE, serviceAccount: POD.SERVICE_ACCOUNT });
  // serve as deploy/ runs it: the TLS port's certificate issued by the CA, tokens reviewed by the (fake) cluster.
  const served = ServeProcess.start(
    ['--manifests', path.join(REPO, 'examples/demo'), '--ca-dir', path.join(dir, 'ca'), '--tls-address', XDS, '--token-review-kubeconfig', kubeconfig, '--xds-address', '[::1]:15010', '--admin-address', 'none'],
    ['ip', 'netns', 'exec', ns],
  );
  t.after(() => served.kill());
  await served.listening;
  const container = injectedSidecar('REDIRECT');
  assert.deepEqual(container['command'], ['biplane', 'agent', '--ca-address', XDS, '--ca-root', '/var/run/secrets/biplane/ca/root-cert.pem', '--xds-tls']);
  const sidecar = runContainer(t, ns, container, readFileSync(path.join(dir, 'ca', 'root-cert.pem'), 'utf8'));
  const bootstrap = await bootstrapOf(t, sidecar);
  assert.equal(bootstrap['node']['id'], 'sidecar~198.18.0.9~web-7d9f.shop~shop.svc.cluster.local');
  const metadata = bootstrap['node']['metadata'] as Record<string, string>;
  assert.equal(metadata['INSTANCE_IPS'], POD.POD_IPS);
  assert.equal(metadata['SERVICE_ACCOUNT'], 'web');
  assert.equal(metadata['DNS_CAPTURE'], 'true', 'capture redirects DNS to the agent');
  assert.equal(metadata['SDS'], 'true', 'the sidecar has certificates');
  const xds = (bootstrap['static_resources']['clusters'] as Container[]).find((c) => c['name'] === 'xds-grpc');
  assert.match(JSON.stringify(xds), /"address":"::1","port_value":15012/);
  assert.equal(xds?.['transport_socket']?.['name'], 'envoy.transport_sockets.tls', 'xDS over TLS');
  let last = '';
  // Ready means Envoy got listeners and clusters over the TLS port, which took the certificate the CA issued.
  await waitFor(async () => {
    const r = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '2', '-w', ' %{http_code}', 'http://[::1]:15021/healthz/ready']);
    last = r.stdout;
    return r.stdout.endsWith(' 200');
  }, 90_000, () => `readiness 200 once Envoy has biplane's listeners and clusters (last: ${last})\n${sidecar.output()}\n${served.stderr}`);
  assert.ok(fake.tokens.reviews.some((r) => r.token === TOKEN), 'the projected token was reviewed');
  // The agent's own name table stream goes over the TLS port too, with the same certificate: its DNS knows the mesh.
  const script = "const r = new (require('node:dns').promises.Resolver)({ timeout: 3000, tries: 1 }); r.setServers(['[::1]:15053']);" +
    " r.resolve('frontend.shop.svc.cluster.local', 'AAAA').then((a) => console.log(a.join(',')), (e) => console.log(e.code));";
  let answer = '';
  await waitFor(async () => (answer = (await run('ip', ['netns', 'exec', ns, process.execPath, '-e', script])).stdout.trim()) === 'fd00:10:96::20', 30_000, () => `the agent's DNS to answer from the name table (last: ${answer})\n${sidecar.output()}`);
  assert.match(sidecar.output(), /certificate for spiffe:\/\/cluster\.local\/ns\/shop\/sa\/web until/);
});

test('under TPROXY the bootstrap says so; with interception NONE it says nothing and the agent serves no DNS', { skip, timeout: 180_000 }, async (t) => {
  const root = (await TestCa.create()).certPem;
  const tproxy = await bootstrapOf(t, runContainer(t, await namespace(t), injectedSidecar('TPROXY'), root));
  assert.equal(tproxy['node']['metadata']['INTERCEPTION_MODE'], 'TPROXY');
  const none = injectedSidecar('NONE');
  assert.deepEqual(none['command'].slice(0, 3), ['biplane', 'agent', '--no-dns']);
  const plain = await bootstrapOf(t, runContainer(t, await namespace(t), none, root));
  assert.equal(plain['node']['metadata']['INTERCEPTION_MODE'], undefined);
  assert.equal(plain['node']['metadata']['DNS_CAPTURE'], undefined);
});

test("the init container's command, expanded, is a capture invocation that yields rules for both of the pod's families", () => {
  const container = initContainer(['--mode', 'tproxy', '--exclude-inbound-ports', '9090'], DEFAULT_INJECT);
  const env = envOf(container);
  const [cmd, sub, ...flags] = (container['command'] as string[]).map((a) => expand(a, env));
  assert.deepEqual([cmd, sub], ['biplane', 'capture']);
  assert.ok(flags.includes('--apply'));
  assert.ok(flags.includes('--capture-dns'), 'DNS goes to the agent');
  const printed = flags.map((f) => (f === '--apply' ? '--print' : f));
  const r = spawnSync(process.execPath, [BIN, 'capture', ...printed], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /TPROXY/);
  assert.match(r.stdout, /198\.18\.0\.9|ip6tables|2001:db8::9/);
  assert.match(r.stdout, /9090/);
  assert.match(r.stdout, /15053/, 'DNS is redirected to the agent port');
});
