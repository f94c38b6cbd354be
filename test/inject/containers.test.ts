// The injected containers work as Kubernetes would run them. The sidecar, taken from `biplane inject`'s output, runs
// as a real process with exactly its command and its environment as the kubelet resolves it (downward API, the
// emptyDir at its mount path), in a network namespace with a real `biplane serve`: the agent writes the pod's
// bootstrap there, starts Envoy with it, and readiness turns 200 once Envoy has its configuration. The init
// container's command, after Kubernetes' `$(VAR)` expansion, is a valid `biplane capture` invocation.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_INJECT, PROXY_NAME, WORK_DIR, initContainer, type Interception } from '../../src/inject/index.ts';
import { must, run } from '../capture/netns.ts';
import { waitFor } from '../support/envoy.ts';
import { envoyBinary, requireOrSkip } from '../support/requirements.ts';
import { ServeProcess } from '../support/serve.ts';

const skip = requireOrSkip('the injected sidecar with a real Envoy', ['root', 'envoy', 'ip', 'curl']);
const REPO = new URL('../../', import.meta.url).pathname;
const BIN = path.join(REPO, 'bin/biplane.js');
const POD = { POD_NAME: 'web-7d9f', POD_NAMESPACE: 'shop', POD_IPS: '198.18.0.9,2001:db8::9', SERVICE_ACCOUNT: 'web' };
/** Where biplane serve listens inside the test's namespace; the injected xDS address. */
const XDS = '[::1]:15010';

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
  for (const mount of sidecar['volumeMounts'] as Container[]) assert.ok(volumes.get(mount['name'])?.['emptyDir'], `${mount['name']} is a pod emptyDir`);
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
function runContainer(t: TestContext, ns: string, container: Container): Sidecar {
  const bin = mkdtempSync(path.join(tmpdir(), 'biplane-sidecar-bin-'));
  chmodSync(bin, 0o755);
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(path.join(bin, 'biplane'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  symlinkSync(envoyBinary() ?? 'envoy', path.join(bin, 'envoy'));
  const mounts = (container['volumeMounts'] as Container[]).map((m) => `mkdir -p '${m['mountPath']}' && mount -t tmpfs kubelet-emptydir '${m['mountPath']}'`);
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

test("the injected sidecar's exact command and environment run the agent, which starts Envoy with the pod's bootstrap", { skip, timeout: 180_000 }, async (t) => {
  const ns = await namespace(t);
  const served = ServeProcess.start(['--manifests', path.join(REPO, 'examples/demo'), '--xds-address', XDS, '--admin-address', 'none', '--quiet'], ['ip', 'netns', 'exec', ns]);
  t.after(() => served.kill());
  await served.listening;
  const container = injectedSidecar('REDIRECT');
  assert.deepEqual(container['command'], ['biplane', 'agent']);
  const sidecar = runContainer(t, ns, container);
  const bootstrap = await bootstrapOf(t, sidecar);
  assert.equal(bootstrap['node']['id'], 'sidecar~198.18.0.9~web-7d9f.shop~shop.svc.cluster.local');
  const metadata = bootstrap['node']['metadata'] as Record<string, string>;
  assert.equal(metadata['INSTANCE_IPS'], POD.POD_IPS);
  assert.equal(metadata['SERVICE_ACCOUNT'], 'web');
  assert.equal(metadata['DNS_CAPTURE'], 'true', 'capture redirects DNS to the agent');
  const xds = JSON.stringify(bootstrap['static_resources']['clusters']);
  assert.match(xds, /"address":"::1","port_value":15010/);
  let last = '';
  await waitFor(async () => {
    const r = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '2', '-w', ' %{http_code}', 'http://[::1]:15021/healthz/ready']);
    last = r.stdout;
    return r.stdout.endsWith(' 200');
  }, 90_000, () => `readiness 200 once Envoy has biplane's listeners and clusters (last: ${last})\n${sidecar.output()}`);
});

test('under TPROXY the bootstrap says so; with interception NONE it says nothing and the agent serves no DNS', { skip, timeout: 180_000 }, async (t) => {
  const tproxy = await bootstrapOf(t, runContainer(t, await namespace(t), injectedSidecar('TPROXY')));
  assert.equal(tproxy['node']['metadata']['INTERCEPTION_MODE'], 'TPROXY');
  const none = injectedSidecar('NONE');
  assert.deepEqual(none['command'], ['biplane', 'agent', '--no-dns']);
  const plain = await bootstrapOf(t, runContainer(t, await namespace(t), none));
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
