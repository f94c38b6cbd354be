// The injected containers work as Kubernetes would run them: their commands, after Kubernetes' `$(VAR)` expansion
// with downward-API values, start `biplane capture` with valid flags and hand Envoy the pod's bootstrap.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_INJECT, initContainer, proxyContainer, type Interception } from '../../src/inject/index.ts';

const BIN = new URL('../../bin/biplane.js', import.meta.url).pathname;
const POD = { POD_NAME: 'web-7d9f', POD_NAMESPACE: 'shop', POD_IPS: '198.18.0.9,2001:db8::9', SERVICE_ACCOUNT: 'default' };

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

/** Runs the proxy container's command with stand-ins on PATH: `biplane` is this checkout, `envoy` records its args. */
function runProxy(t: { after(fn: () => void): void }, interception: Interception): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-sidecar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'biplane'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  writeFileSync(path.join(dir, 'envoy'), `#!/bin/sh\nprintf '%s\\0' "$@" > "${dir}/envoy-args"\n`);
  chmodSync(path.join(dir, 'biplane'), 0o755);
  chmodSync(path.join(dir, 'envoy'), 0o755);
  const container = proxyContainer(interception, DEFAULT_INJECT);
  const env = envOf(container);
  const [cmd = '', ...args] = (container['command'] as string[]).map((a) => expand(a, env));
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...env, PATH: `${dir}:${process.env['PATH'] ?? ''}` } });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(path.join(dir, 'envoy-args'), 'utf8').split('\0').slice(0, -1);
}

test("the sidecar's command bootstraps the pod from its downward-API environment and starts Envoy with it", (t) => {
  const args = runProxy(t, 'REDIRECT');
  assert.equal(args[0], '--config-yaml');
  assert.ok(args.includes('--disable-hot-restart'));
  const bootstrap = JSON.parse(args[1] ?? '{}') as Container;
  assert.equal(bootstrap['node']['id'], 'sidecar~198.18.0.9~web-7d9f.shop~shop.svc.cluster.local');
  assert.equal(bootstrap['node']['metadata']['INSTANCE_IPS'], POD.POD_IPS);
  assert.equal(bootstrap['node']['metadata']['INTERCEPTION_MODE'], 'REDIRECT');
  const xds = JSON.stringify(bootstrap['static_resources']['clusters']);
  assert.match(xds, /biplane\.biplane-system\.svc/);
  assert.match(xds, /STRICT_DNS/);
});

test('under TPROXY the bootstrap says so, and with interception NONE it says nothing', (t) => {
  const tproxy = JSON.parse(runProxy(t, 'TPROXY')[1] ?? '{}') as Container;
  assert.equal(tproxy['node']['metadata']['INTERCEPTION_MODE'], 'TPROXY');
  const none = JSON.parse(runProxy(t, 'NONE')[1] ?? '{}') as Container;
  assert.equal(none['node']['metadata']['INTERCEPTION_MODE'], undefined);
});

test("the init container's command, expanded, is a capture invocation that yields rules for both of the pod's families", () => {
  const container = initContainer(['--mode', 'tproxy', '--exclude-inbound-ports', '9090'], DEFAULT_INJECT);
  const env = envOf(container);
  const [cmd, sub, ...flags] = (container['command'] as string[]).map((a) => expand(a, env));
  assert.deepEqual([cmd, sub], ['biplane', 'capture']);
  assert.ok(flags.includes('--apply'));
  const printed = flags.map((f) => (f === '--apply' ? '--print' : f));
  const r = spawnSync(process.execPath, [BIN, 'capture', ...printed], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /TPROXY/);
  assert.match(r.stdout, /198\.18\.0\.9|ip6tables|2001:db8::9/);
  assert.match(r.stdout, /9090/);
});
