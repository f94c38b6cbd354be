// `biplane agent` for real: in a network namespace of its own, with a real Envoy and a real `biplane serve` on a Unix
// socket. Readiness is 503 before the first push, 200 after, 503 once Envoy is killed and 200 when the agent has
// restarted it; DNS answers the mesh's names from the name table; SIGTERM drains and exits 0; an Envoy that cannot
// stay up makes the agent exit 1 with Envoy's last lines; with --cert-dir its Envoy gets the pod certificate over SDS.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { REPO, must, run } from '../capture/netns.ts';
import { serve } from '../envoy/sidecar.ts';
import { waitFor } from '../support/envoy.ts';
import { envoyBinary, requireOrSkip } from '../support/requirements.ts';
import { createTestPki } from '../support/pki.ts';
import { spiffeUri } from '../../src/trust/identity.ts';
import { x509 } from '../../src/trust/x509.ts';

const skip = requireOrSkip('biplane agent with a real Envoy', ['root', 'envoy', 'ip', 'curl']);
const BIN = path.join(REPO, 'bin/biplane.js');
const DEMO = path.join(REPO, 'examples/demo');
const MTLS = path.join(REPO, 'testdata/translate/mtls.yaml');

/** A fresh network namespace with loopback up, deleted when the test ends. */
async function namespace(t: TestContext): Promise<string> {
  const ns = `bpagent-${randomBytes(3).toString('hex')}`;
  await must('ip', ['netns', 'add', ns]);
  t.after(() => run('ip', ['netns', 'del', ns]).then(() => undefined));
  await must('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  return ns;
}

/** A running agent process: its output so far, the Envoy pids it reported, and its exit. */
interface AgentProcess {
  readonly child: ChildProcess;
  output(): string;
  envoyPids(): number[];
  readonly exit: Promise<number | null>;
}

/** Starts `biplane agent` in `ns`; t.after stops it (SIGTERM, then SIGKILL with every Envoy it started). */
function startAgent(t: TestContext, ns: string, args: readonly string[]): AgentProcess {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'agent', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const envoyPids = (): number[] => [...text.matchAll(/envoy started \(pid (\d+)/g)].map((m) => Number(m[1]));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      for (const pid of envoyPids()) kill(pid, 'SIGKILL');
    }, 15_000);
    await exit;
    clearTimeout(timer);
    if (!(t as unknown as { passed?: boolean }).passed) console.log(`--- agent output ---\n${text}\n--- end agent output ---`);
  });
  return { child, output: () => text, envoyPids, exit };
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** GET /healthz/ready on 15021 inside `ns` over one family: status and body. */
async function readiness(ns: string, host: string): Promise<{ status: number; body: string }> {
  const r = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '2', '-w', '\n%{http_code}', `http://${host}:15021/healthz/ready`]);
  const lines = r.stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

/** Waits until both families answer readiness with `status`; returns the IPv4 answer. */
async function readinessBecomes(ns: string, status: number, ms = 60_000): Promise<string> {
  let last = '';
  await waitFor(async () => {
    const [v4, v6] = await Promise.all([readiness(ns, '127.0.0.1'), readiness(ns, '[::1]')]);
    last = `${v4.status} ${v4.body} / ${v6.status} ${v6.body}`;
    return v4.status === status && v6.status === status;
  }, ms, () => `readiness ${status} on both families (last: ${last})`);
  return last;
}

function workDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-agent-test-'));
  chmodSync(dir, 0o755);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('readiness follows Envoy: 503 before the first push, 200 after, 503 while it is down, 200 once restarted', { skip, timeout: 180_000 }, async (t) => {
  const ns = await namespace(t);
  const dir = workDir(t);
  const socket = path.join(dir, 'xds.sock');
  const agent = startAgent(t, ns, [
    '--xds-address', `unix:${socket}`, '--manifests', DEMO, '--pod', 'demo/client-dual', '--envoy', envoyBinary() ?? 'envoy',
    '--work-dir', dir, '--upstream', '127.0.0.1:9', '--drain-seconds', '1',
  ]);
  await waitFor(() => agent.envoyPids().length === 1, 30_000, () => `Envoy to start:\n${agent.output()}`);
  const before = await readinessBecomes(ns, 503, 30_000);
  assert.match(before, /not ready: /);
  const served = await serve(DEMO, socket);
  t.after(async () => {
    served.proc.child.kill('SIGTERM');
    await served.proc.exited(10_000);
  });
  await readinessBecomes(ns, 200);
  const script = "const r = new (require('node:dns').promises.Resolver)({ timeout: 3000, tries: 1 }); r.setServers(['[::1]:15053']);" +
    " r.resolve(process.argv[1], process.argv[2]).then((a) => console.log(a.join(',')), (e) => console.log(e.code));";
  const dig = (family: string): Promise<string> =>
    run('ip', ['netns', 'exec', ns, process.execPath, '-e', script, 'frontend.shop.svc.cluster.local', family]).then((r) => r.stdout.trim());
  // The agent's name table stream reconnects with backoff while no server listens, so the table may come a bit later.
  await waitFor(async () => (await dig('AAAA')) === 'fd00:10:96::20', 30_000, 'the DNS proxy to answer from the name table');
  assert.equal(await dig('A'), '10.96.0.20');
  const first = agent.envoyPids()[0];
  assert.ok(first);
  let saw503 = false;
  const watching = (async () => {
    while (agent.envoyPids().length < 2 || !saw503) {
      if ((await readiness(ns, '127.0.0.1')).status === 503) saw503 = true;
      if (agent.child.exitCode !== null) return;
    }
  })();
  kill(first, 'SIGKILL');
  await waitFor(() => agent.envoyPids().length === 2, 30_000, () => `the agent to restart Envoy:\n${agent.output()}`);
  await waitFor(() => saw503, 30_000, 'readiness 503 after Envoy was killed');
  await watching;
  await readinessBecomes(ns, 200);
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exit, 0);
  const second = agent.envoyPids()[1];
  assert.ok(second);
  assert.throws(() => process.kill(second, 0), 'Envoy is gone after the agent exits');
});

test('an Envoy that dies at once every time makes the agent exit 1 with its last lines', { skip, timeout: 120_000 }, async (t) => {
  const ns = await namespace(t);
  const dir = workDir(t);
  const fake = path.join(dir, 'envoy.sh');
  await must('sh', ['-c', `printf '#!/bin/sh\\necho "fake envoy cannot start: $*" >&2\\nexit 3\\n' > ${fake} && chmod +x ${fake}`]);
  const agent = startAgent(t, ns, ['--xds-address', `unix:${path.join(dir, 'none.sock')}`, '--manifests', DEMO, '--pod', 'demo/client-v4', '--envoy', fake, '--work-dir', dir, '--no-dns']);
  assert.equal(await agent.exit, 1);
  assert.match(agent.output(), /giving up/);
  assert.match(agent.output(), /fake envoy cannot start: -c/);
  assert.ok(agent.envoyPids().length >= 5);
});

/** Writes a certificate set as `biplane agent --cert-dir` reads it (Istio's file names). */
function writeCertificates(dir: string, cert: { certChainPem: string; privateKeyPem: string; rootCertPem: string }): void {
  for (const [file, text] of [['cert-chain.pem', cert.certChainPem], ['key.pem', cert.privateKeyPem], ['root-cert.pem', cert.rootCertPem]] as const) {
    writeFileSync(path.join(dir, `.${file}`), text);
    renameSync(path.join(dir, `.${file}`), path.join(dir, file));
  }
}

test('with --cert-dir the agent serves the pod certificate to its Envoy over SDS, and a rotation on disk reaches Envoy', { skip, timeout: 180_000 }, async (t) => {
  const ns = await namespace(t);
  const dir = workDir(t);
  const certs = path.join(dir, 'certs');
  mkdirSync(certs);
  const pki = await createTestPki();
  const id = { trustDomain: 'cluster.local', namespace: 'pay', serviceAccount: 'ledger' };
  writeCertificates(certs, await pki.issue(id));
  const socket = path.join(dir, 'xds.sock');
  const served = await serve(MTLS, socket);
  t.after(async () => {
    served.proc.child.kill('SIGTERM');
    await served.proc.exited(10_000);
  });
  const agent = startAgent(t, ns, [
    '--xds-address', `unix:${socket}`, '--manifests', MTLS, '--pod', 'pay/ledger-0', '--envoy', envoyBinary() ?? 'envoy',
    '--work-dir', dir, '--no-dns', '--drain-seconds', '1', '--cert-dir', certs,
  ]);
  // Envoy's TLS listeners and clusters warm until SDS delivers the secrets; readiness needs them active.
  await readinessBecomes(ns, 200);
  const serials = async (): Promise<string[]> => {
    const r = await run('ip', ['netns', 'exec', ns, 'curl', '-s', '-m', '2', 'http://127.0.0.1:15000/certs']);
    const parsed = JSON.parse(r.stdout || '{}') as { certificates?: { cert_chain?: { serial_number: string; subject_alt_names?: { uri?: string }[] }[] }[] };
    return (parsed.certificates ?? []).flatMap((c) => c.cert_chain ?? []).filter((c) => c.subject_alt_names?.some((s) => s.uri === spiffeUri(id))).map((c) => c.serial_number);
  };
  let first: string[] = [];
  await waitFor(async () => (first = await serials()).length > 0, 30_000, () => `Envoy to load the pod certificate:\n${agent.output()}`);
  const renewed = await pki.issue(id);
  writeCertificates(certs, renewed);
  const serial = new x509.X509Certificate(renewed.certChainPem).serialNumber.toLowerCase();
  await waitFor(async () => (await serials()).map((s) => s.toLowerCase().replace(/^0+/, '')).includes(serial.replace(/^0+/, '')), 30_000, 'the renewed certificate in Envoy');
  assert.ok(!first.map((s) => s.toLowerCase()).includes(serial), 'the renewal is a new certificate');
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exit, 0);
});
