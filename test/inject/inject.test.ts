// Injection's behaviour beyond the goldens: idempotence, which kinds and pods it touches, refusing annotation values
// `biplane capture` would refuse, the rule backend, and the CLI around it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_INJECT, INIT_NAME, PROXY_NAME, ROOT_VOLUME, TLS_MODE_LABEL, TOKEN_VOLUME, WORK_VOLUME, WORKLOAD_KINDS, injectManifests } from '../../src/inject/index.ts';
import { DEFAULT_TOKEN_FILE } from '../../src/agent/certificates.ts';
import { checkFlags, OPTIONS } from '../../src/cli/agent.ts';
import { parseArgs } from 'node:util';

const ROOT = new URL('../../testdata/inject/', import.meta.url).pathname;
const BIN = new URL('../../bin/biplane.js', import.meta.url).pathname;
const input = (name: string): string => readFileSync(`${ROOT}${name}/input.yaml`, 'utf8');

type Json = Record<string, any>;

function podSpecs(yaml: string): Map<string, Json> {
  const out = new Map<string, Json>();
  const visit = (o: Json): void => {
    if (o['kind'] === 'List') return o['items'].forEach(visit);
    const spec = o['kind'] === 'Pod' ? o['spec'] : o['kind'] === 'CronJob' ? o['spec']['jobTemplate']['spec']['template']['spec'] : o['spec']?.['template']?.['spec'];
    if (spec) out.set(`${o['kind']}/${o['metadata']['name']}`, spec);
  };
  for (const doc of parseAllDocuments(yaml)) visit(doc.toJS() as Json);
  return out;
}

const names = (list: Json[] | undefined): string[] => (list ?? []).map((c) => c['name']);

test('injecting its own output again changes nothing, for every golden input', () => {
  for (const name of ['workloads', 'annotations', 'opt-out']) {
    const once = injectManifests(input(name), name, DEFAULT_INJECT).yaml;
    assert.ok(once);
    assert.equal(injectManifests(once, name, DEFAULT_INJECT).yaml, once, name);
  }
});

test('every workload kind gets the capture init container first, then the native sidecar, then its own init containers', () => {
  const specs = podSpecs(injectManifests(input('workloads'), 'workloads', DEFAULT_INJECT).yaml ?? '');
  const kinds = new Set([...specs.keys()].map((k) => k.split('/')[0]));
  for (const kind of WORKLOAD_KINDS) assert.ok(kinds.has(kind), `a ${kind} in workloads.yaml`);
  for (const [key, spec] of specs) {
    assert.deepEqual(names(spec['initContainers']).slice(0, 2), [INIT_NAME, PROXY_NAME], key);
    assert.equal(spec['initContainers'][1]['restartPolicy'], 'Always', `${key}: native sidecar`);
    assert.ok(!names(spec['containers']).includes(PROXY_NAME), key);
  }
  assert.deepEqual(names(specs.get('StatefulSet/db')?.['initContainers']), [INIT_NAME, PROXY_NAME, 'migrate']);
});

test('opted-out and hostNetwork pods come out unchanged while a pod in the same List is injected', () => {
  const result = injectManifests(input('opt-out'), 'opt-out', DEFAULT_INJECT);
  const specs = podSpecs(result.yaml ?? '');
  const before = podSpecs(input('opt-out'));
  for (const key of ['Deployment/by-label', 'Pod/by-annotation', 'Pod/node-exporter']) assert.deepEqual(specs.get(key), before.get(key), key);
  assert.deepEqual(names(specs.get('Pod/in-a-list')?.['initContainers']), [INIT_NAME, PROXY_NAME]);
  assert.deepEqual(result.reports.map((r) => r.outcome), ['skipped', 'skipped', 'skipped', 'injected']);
});

test('a traffic annotation capture would refuse fails injection, naming the annotation and the object', () => {
  const bad = input('annotations').replace('"9090"', '"9090,99999"');
  const result = injectManifests(bad, 'bad.yaml', DEFAULT_INJECT);
  assert.equal(result.yaml, undefined);
  const errors = result.reports.filter((r) => r.outcome === 'error');
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.object ?? '', /Deployment\/shop\/tproxy/);
  assert.match(errors[0]?.detail.join(' ') ?? '', /traffic\.sidecar\.istio\.io\/excludeInboundPorts: .*99999/);
  const cidr = injectManifests(input('annotations').replace('198.18.0.0/15', '198.18.0.0/33'), 'bad.yaml', DEFAULT_INJECT);
  assert.match(cidr.reports.find((r) => r.outcome === 'error')?.detail.join(' ') ?? '', /excludeOutboundIPRanges: .*198\.18\.0\.0\/33/);
  const mode = injectManifests(input('annotations').replace('interceptionMode: TPROXY', 'interceptionMode: MAGIC'), 'bad.yaml', DEFAULT_INJECT);
  assert.match(mode.reports.find((r) => r.outcome === 'error')?.detail.join(' ') ?? '', /interceptionMode: 'MAGIC'/);
});

test('the backend, image and xDS address options reach the init container and the sidecar', () => {
  const options = { ...DEFAULT_INJECT, backend: 'nftables' as const, image: 'registry.example/proxy:2', xdsAddress: '[2001:db8::10]:15010' };
  const spec = podSpecs(injectManifests(input('workloads'), 'w', options).yaml ?? '').get('Deployment/web') ?? {};
  const [init, proxy] = spec['initContainers'] as Json[];
  assert.deepEqual(init?.['command'].slice(0, 7), ['biplane', 'capture', '--apply', '--ips', '$(POD_IPS)', '--backend', 'nftables']);
  assert.equal(init?.['image'], 'registry.example/proxy:2');
  assert.equal(proxy?.['image'], 'registry.example/proxy:2');
  assert.deepEqual(proxy?.['env'].find((e: Json) => e['name'] === 'BIPLANE_XDS_ADDRESS'), { name: 'BIPLANE_XDS_ADDRESS', value: '[2001:db8::10]:15010' });
});

test('biplane inject reads a file or stdin, reports on stderr, and exits 1 on a bad annotation', () => {
  const fromFile = spawnSync(process.execPath, [BIN, 'inject', '-f', `${ROOT}workloads/input.yaml`], { encoding: 'utf8' });
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assert.equal(fromFile.stdout, readFileSync(`${ROOT}workloads/output.yaml`, 'utf8'));
  assert.match(fromFile.stderr, /^injected {2}.*Deployment\/shop\/web$/m);
  const fromStdin = spawnSync(process.execPath, [BIN, 'inject', '-f', '-'], { encoding: 'utf8', input: input('workloads') });
  assert.equal(fromStdin.stdout, fromFile.stdout);
  const bad = spawnSync(process.execPath, [BIN, 'inject', '-f', '-'], { encoding: 'utf8', input: input('annotations').replace('"9090"', '"x"') });
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^error {2}.*Deployment\/shop\/tproxy\n {2}traffic.sidecar.istio.io\/excludeInboundPorts: .*'x'/m);
  const usage = spawnSync(process.execPath, [BIN, 'inject'], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
  assert.ok(parse(fromFile.stdout.split('---\n')[0] ?? ''), 'output parses');
});

test('the proxy runs as uid 1337 without capabilities, except under TPROXY: uid 0 in group 1337 with NET_ADMIN', () => {
  const specs = podSpecs(injectManifests(input('annotations'), 'a', DEFAULT_INJECT).yaml ?? '');
  const security = (key: string): Json => specs.get(key)?.['initContainers'][1]['securityContext'] ?? {};
  assert.deepEqual([security('Deployment/redirect')['runAsUser'], security('Deployment/redirect')['runAsGroup']], [1337, 1337]);
  assert.deepEqual(security('Deployment/redirect')['capabilities'], { drop: ['ALL'] });
  assert.deepEqual([security('Deployment/tproxy')['runAsUser'], security('Deployment/tproxy')['runAsGroup']], [0, 1337]);
  assert.deepEqual(security('Deployment/tproxy')['capabilities'], { add: ['NET_ADMIN'], drop: ['ALL'] });
  const init = specs.get('Deployment/tproxy')?.['initContainers'][0]['command'] as string[];
  assert.equal(init[init.indexOf('--proxy-gid') + 1], '1337', 'capture exempts the group the TPROXY proxy runs in');
});

test("injected pods carry Istio's tlsMode label (a value of their own is kept) and one set of sidecar volumes however often injected", () => {
  const pod = (labels: Record<string, string>): string =>
    JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels }, spec: { containers: [{ name: 'app', image: 'a' }], volumes: [{ name: 'data', emptyDir: {} }] } });
  const once = injectManifests(pod({ app: 'p' }), 'p', DEFAULT_INJECT).yaml ?? '';
  const twice = injectManifests(once, 'p', DEFAULT_INJECT).yaml ?? '';
  const spec = podSpecs(twice).get('Pod/p') ?? {};
  assert.deepEqual(names(spec['volumes']), ['data', WORK_VOLUME, TOKEN_VOLUME, ROOT_VOLUME]);
  assert.equal((parse(twice) as Json)['metadata']['labels'][TLS_MODE_LABEL], 'istio');
  const own = parse(injectManifests(pod({ [TLS_MODE_LABEL]: 'disabled' }), 'p', DEFAULT_INJECT).yaml ?? '') as Json;
  assert.equal(own['metadata']['labels'][TLS_MODE_LABEL], 'disabled');
});

test('the sidecar gets its certificate from biplane’s CA: a projected istio-ca token where the agent reads it, the root from biplane-ca-root-cert, xDS over TLS', () => {
  const pod = JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'a' }] } });
  const spec = podSpecs(injectManifests(pod, 'p', DEFAULT_INJECT).yaml ?? '').get('Pod/p') ?? {};
  const volumes = new Map<string, Json>((spec['volumes'] as Json[]).map((v) => [v['name'], v]));
  const proxy = (spec['initContainers'] as Json[]).find((c) => c['name'] === PROXY_NAME) ?? {};
  const mounts = new Map<string, string>((proxy['volumeMounts'] as Json[]).map((m) => [m['name'], m['mountPath']]));
  const token = volumes.get(TOKEN_VOLUME)?.['projected']['sources'][0]['serviceAccountToken'];
  assert.equal(token['audience'], 'istio-ca');
  assert.equal(`${mounts.get(TOKEN_VOLUME)}/${token['path']}`, DEFAULT_TOKEN_FILE, 'the token is where the agent reads it by default');
  assert.equal(volumes.get(ROOT_VOLUME)?.['configMap']['name'], 'biplane-ca-root-cert');
  const command = proxy['command'] as string[];
  assert.deepEqual(command.slice(0, 2), ['biplane', 'agent']);
  assert.equal(command[command.indexOf('--ca-address') + 1], 'biplane.biplane-system.svc:15012');
  assert.equal(command[command.indexOf('--ca-root') + 1], `${mounts.get(ROOT_VOLUME)}/root-cert.pem`);
  const env = Object.fromEntries((proxy['env'] as Json[]).filter((e) => typeof e['value'] === 'string').map((e) => [e['name'], e['value']]));
  const checked = checkFlags(parseArgs({ args: command.slice(2), options: OPTIONS }).values, env);
  assert.ok(typeof checked === 'object', `the agent accepts the injected command: ${String(checked)}`);
  assert.deepEqual(checked.xds, { host: 'biplane.biplane-system.svc', port: 15012 }, 'xDS over the TLS port');
  assert.ok(command.includes('--xds-tls'));
});
