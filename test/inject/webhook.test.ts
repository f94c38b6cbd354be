// The injection webhook for real: HTTPS with certificates made here, real AdmissionReview v1 bodies, and the returned
// JSON Patch applied by a small RFC 6902 applier. A patched Pod equals what `biplane inject` prints for the same Pod;
// opted-out and injected pods get no patch; malformed reviews get 400; renewed cert files are served without restart.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parse, stringify } from 'yaml';
import { DEFAULT_INJECT, INIT_NAME, PROXY_NAME, TLS_MODE_LABEL, injectManifests, type InjectOptions } from '../../src/inject/index.ts';
import { jsonPatch } from '../../src/inject/json-patch.ts';
import { startWebhook, type WebhookServer } from '../../src/server/webhook.ts';
import { waitFor } from '../support/envoy.ts';
import { ServeProcess } from '../support/serve.ts';
import { loopbackCert, type ServingCert } from '../support/tls-certs.ts';

type Json = Record<string, any>;

/** A Pod as a ReplicaSet creates it: only `generateName`, no namespace (the review's request carries it). */
function replicaSetPod(extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'web-7d9f8c-',
      labels: { app: 'web', 'pod-template-hash': '7d9f8c', ...extra.labels },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f8c', uid: 'f00', controller: true }],
    },
    spec: { serviceAccountName: 'web', containers: [{ name: 'web', image: 'registry.example/web:1', ports: [{ containerPort: 8080 }] }] },
  };
}

/** An AdmissionReview v1 for a Pod CREATE in `namespace`, as the API server sends it. */
function review(pod: Json, uid = randomUUID(), operation = 'CREATE'): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      namespace: 'shop',
      operation,
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller' },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

/** RFC 6901 pointer → segments. */
function segments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/** A small RFC 6902 applier (add, replace, remove; objects and arrays), returning a new document. */
function applyPatch(doc: unknown, ops: readonly Json[]): unknown {
  let root = structuredClone(doc);
  for (const op of ops) {
    const keys = segments(op['path']);
    const last = keys.pop();
    if (last === undefined) {
      assert.equal(op['op'], 'replace', 'only replace may target the root');
      root = structuredClone(op['value']);
      continue;
    }
    let parent: any = root;
    for (const k of keys) {
      parent = Array.isArray(parent) ? parent[Number(k)] : parent?.[k];
      assert.ok(parent !== undefined && parent !== null, `${op['path']}: the parent must exist`);
    }
    if (Array.isArray(parent)) {
      const at = last === '-' ? parent.length : Number(last);
      if (op['op'] === 'add') parent.splice(at, 0, structuredClone(op['value']));
      else if (op['op'] === 'replace') parent[at] = structuredClone(op['value']);
      else parent.splice(at, 1);
      continue;
    }
    if (op['op'] !== 'add') assert.ok(Object.hasOwn(parent, last), `${op['op']} ${op['path']}: the member must exist`);
    if (op['op'] === 'remove') delete parent[last];
    else parent[last] = structuredClone(op['value']);
  }
  return root;
}

/** What `biplane inject` prints for `pod` (with `options`), parsed. */
function cliInjected(pod: Json, options: InjectOptions = DEFAULT_INJECT): Json {
  const result = injectManifests(stringify(pod), 'pod.yaml', options);
  assert.ok(result.yaml !== undefined, JSON.stringify(result.reports));
  return parse(result.yaml) as Json;
}

/** POSTs `body` to `https://address/inject` trusting `ca`; the status, content type and body text. */
function post(address: string, body: string | Buffer, ca: string, pathname = '/inject'): Promise<{ status: number; type: string; text: string; serial: string }> {
  const url = new URL(`https://${address}${pathname}`);
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      const serial = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().serialNumber ?? '';
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text: Buffer.concat(chunks).toString(), serial }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs a review and returns its `response`, after checking the envelope. */
async function admitted(address: string, ca: string, body: Json): Promise<Json> {
  const res = await post(address, JSON.stringify(body), ca);
  assert.equal(res.status, 200, res.text);
  assert.match(res.type, /application\/json/);
  const answer = JSON.parse(res.text) as Json;
  assert.equal(answer['apiVersion'], 'admission.k8s.io/v1');
  assert.equal(answer['kind'], 'AdmissionReview');
  assert.equal(answer['response']['uid'], body['request']['uid'], 'the response echoes request.uid');
  return answer['response'];
}

const decode = (response: Json): Json[] => JSON.parse(Buffer.from(response['patch'], 'base64').toString('utf8')) as Json[];

/** Cert files in a temp folder, and a webhook on 127.0.0.1 serving them; both go when the test ends. */
async function webhook(t: TestContext, extra: { reloadMs?: number; maxBodyBytes?: number } = {}): Promise<{ server: WebhookServer; cert: ServingCert; dir: string; lines: string[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-webhook-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = await loopbackCert();
  writeFileSync(path.join(dir, 'tls.crt'), cert.cert);
  writeFileSync(path.join(dir, 'tls.key'), cert.key);
  const lines: string[] = [];
  const server = await startWebhook({
    address: '127.0.0.1:0',
    certFile: path.join(dir, 'tls.crt'),
    keyFile: path.join(dir, 'tls.key'),
    inject: DEFAULT_INJECT,
    log: (line) => lines.push(line),
    ...extra,
  });
  t.after(() => server.close());
  return { server, cert, dir, lines };
}

test("a Pod CREATE gets a JSON Patch that makes the pod exactly what `biplane inject` prints for it", async (t) => {
  const { server, cert, lines } = await webhook(t);
  const pod = replicaSetPod();
  const body = review(pod);
  const response = await admitted(server.address, cert.cert, body);
  assert.equal(response['allowed'], true);
  assert.equal(response['patchType'], 'JSONPatch');
  const patched = applyPatch(pod, decode(response)) as Json;
  assert.deepEqual(patched, cliInjected(pod));
  assert.deepEqual(patched['spec']['initContainers'].map((c: Json) => c['name']), [INIT_NAME, PROXY_NAME]);
  assert.equal(patched['metadata']['labels'][TLS_MODE_LABEL], 'istio');
  assert.deepEqual(patched['spec']['initContainers'][1]['command'].slice(0, 3), ['biplane', 'agent', '--ca-address']);
  assert.equal(patched['metadata']['generateName'], 'web-7d9f8c-', 'the pod keeps its generateName');
  assert.ok(lines.some((l) => l.includes('shop/web-7d9f8c-*: injected')), lines.join('\n'));
});

test('an already-injected pod and an opted-out pod are allowed with no patch', async (t) => {
  const { server, cert } = await webhook(t);
  const injected = cliInjected(replicaSetPod());
  const again = await admitted(server.address, cert.cert, review(injected));
  assert.deepEqual(again, { uid: again['uid'], allowed: true });
  for (const optOut of [{ labels: { 'sidecar.istio.io/inject': 'false' } }, { annotations: { 'sidecar.istio.io/inject': 'false' } }]) {
    const response = await admitted(server.address, cert.cert, review(replicaSetPod(optOut)));
    assert.deepEqual(response, { uid: response['uid'], allowed: true }, JSON.stringify(optOut));
  }
});

test('a TPROXY annotation gives the TPROXY capture flags and a root proxy in the proxy group, as the CLI does', async (t) => {
  const { server, cert } = await webhook(t);
  const pod = replicaSetPod({ annotations: { 'sidecar.istio.io/interceptionMode': 'TPROXY', 'traffic.sidecar.istio.io/excludeInboundPorts': '9090' } });
  const patched = applyPatch(pod, decode(await admitted(server.address, cert.cert, review(pod)))) as Json;
  assert.deepEqual(patched, cliInjected(pod));
  const [init, proxy] = patched['spec']['initContainers'] as Json[];
  const command = init?.['command'] as string[];
  assert.equal(command[command.indexOf('--mode') + 1], 'tproxy');
  assert.equal(command[command.indexOf('--exclude-inbound-ports') + 1], '9090');
  assert.deepEqual(proxy?.['env'].find((e: Json) => e['name'] === 'BIPLANE_INTERCEPTION'), { name: 'BIPLANE_INTERCEPTION', value: 'TPROXY' });
  assert.deepEqual([proxy?.['securityContext']['runAsUser'], proxy?.['securityContext']['runAsGroup']], [0, 1337]);
});

test('an annotation capture would refuse denies the pod with a message naming it', async (t) => {
  const { server, cert } = await webhook(t);
  const pod = replicaSetPod({ annotations: { 'traffic.sidecar.istio.io/excludeInboundPorts': '99999' } });
  const response = await admitted(server.address, cert.cert, review(pod));
  assert.equal(response['allowed'], false);
  assert.equal(response['patch'], undefined);
  assert.match(response['status']['message'], /traffic\.sidecar\.istio\.io\/excludeInboundPorts: .*99999/);
});

test('requests other than a Pod CREATE are allowed unchanged', async (t) => {
  const { server, cert } = await webhook(t);
  const update = await admitted(server.address, cert.cert, review(replicaSetPod(), randomUUID(), 'UPDATE'));
  assert.deepEqual(update, { uid: update['uid'], allowed: true });
  const deployment = review({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} });
  deployment['request']['kind'] = { group: 'apps', version: 'v1', kind: 'Deployment' };
  const other = await admitted(server.address, cert.cert, deployment);
  assert.deepEqual(other, { uid: other['uid'], allowed: true });
});

test('a malformed review gets HTTP 400 saying what is wrong; an oversized body 413; other paths and methods are refused', async (t) => {
  const { server, cert } = await webhook(t, { maxBodyBytes: 64 * 1024 });
  const bad = async (body: string, pattern: RegExp): Promise<void> => {
    const res = await post(server.address, body, cert.cert);
    assert.equal(res.status, 400, body);
    assert.match(res.text, /^malformed AdmissionReview: /);
    assert.match(res.text, pattern);
  };
  await bad('{"apiVersion": "admission.k8s.io/v1", "kind": ', /not JSON/);
  await bad('[1, 2]', /not an AdmissionReview object/);
  await bad(JSON.stringify({ ...review(replicaSetPod()), apiVersion: 'admission.k8s.io/v1beta1' }), /expected apiVersion admission\.k8s\.io\/v1.*v1beta1/);
  await bad(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /no request/);
  const noUid = review(replicaSetPod());
  delete noUid['request']['uid'];
  await bad(JSON.stringify(noUid), /request\.uid is missing/);
  const noObject = review(replicaSetPod());
  delete noObject['request']['object'];
  await bad(JSON.stringify(noObject), /request\.object is missing/);
  const huge = review(replicaSetPod({ annotations: { big: 'x'.repeat(100 * 1024) } }));
  assert.equal((await post(server.address, JSON.stringify(huge), cert.cert)).status, 413);
  assert.equal((await post(server.address, '{}', cert.cert, '/mutate')).status, 404);
});

test('renewed certificate files are served without a restart; a half-written pair keeps the old one', async (t) => {
  const { server, cert, dir, lines } = await webhook(t, { reloadMs: 100 });
  assert.equal((await post(server.address, '{}', cert.cert)).serial, cert.serial);
  const next = await loopbackCert();
  writeFileSync(path.join(dir, 'tls.crt'), next.cert);
  await waitFor(() => lines.some((l) => /keeping the current certificate/.test(l)), 10_000, 'the mismatched pair to be refused');
  assert.equal((await post(server.address, '{}', cert.cert)).serial, cert.serial, 'the old pair still serves');
  writeFileSync(path.join(dir, 'tls.key'), next.key);
  await waitFor(async () => (await post(server.address, '{}', next.cert).catch(() => undefined))?.serial === next.serial, 10_000, 'the new certificate');
  assert.ok(lines.includes('webhook: serving certificate reloaded'));
  await assert.rejects(post(server.address, '{}', cert.cert), 'the old certificate is no longer served');
});

test('jsonPatch escapes `/` and `~` in keys, removes what went, and is empty for equal documents', () => {
  const before = { metadata: { annotations: { 'a/b': '1', 'c~d': '2' } }, list: [1] };
  const after = { metadata: { annotations: { 'a/b': '3' }, labels: { x: 'y' } }, list: [1, 2] };
  const ops = jsonPatch(before, after);
  assert.deepEqual(ops, [
    { op: 'remove', path: '/metadata/annotations/c~0d' },
    { op: 'replace', path: '/metadata/annotations/a~1b', value: '3' },
    { op: 'add', path: '/metadata/labels', value: { x: 'y' } },
    { op: 'replace', path: '/list', value: [1, 2] },
  ]);
  assert.deepEqual(applyPatch(before, ops), after);
  assert.deepEqual(jsonPatch(after, structuredClone(after)), []);
});

test("biplane serve --webhook-address serves /inject over TLS on IPv6 with its --inject-* options, and the webhook flags go together", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-webhook-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cert = await loopbackCert();
  writeFileSync(path.join(dir, 'tls.crt'), cert.cert);
  writeFileSync(path.join(dir, 'tls.key'), cert.key);
  const flags = ['--webhook-address', '[::1]:0', '--webhook-cert', path.join(dir, 'tls.crt'), '--webhook-key', path.join(dir, 'tls.key')];
  const options: InjectOptions = { ...DEFAULT_INJECT, image: 'registry.example/biplane-proxy:2', xdsAddress: '[2001:db8::10]:15012', caAddress: '[2001:db8::10]:15012', backend: 'nftables' };
  const injectFlags = ['--inject-image', options.image, '--inject-xds-address', options.xdsAddress, '--inject-backend', options.backend];
  const serve = ServeProcess.start(['--manifests', 'examples/demo', '--xds-address', '127.0.0.1:0', '--admin-address', 'none', '--quiet', ...flags, ...injectFlags]);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  assert.match(listening.webhook ?? '', /^\[::1\]:\d+$/);
  const pod = replicaSetPod();
  const response = await admitted(listening.webhook ?? '', cert.cert, review(pod));
  const patched = applyPatch(pod, decode(response)) as Json;
  assert.deepEqual(patched, cliInjected(pod, options));
  assert.equal(patched['spec']['initContainers'][1]['image'], options.image);
  // The log line and the response travel different pipes; wait for the line rather than race it.
  await waitFor(() => /webhook: shop\/web-7d9f8c-\*: injected/.test(serve.stderr), 30_000, () => `the admission logged even under --quiet: ${serve.stderr}`);
  const half = ServeProcess.start(['--manifests', 'examples/demo', '--admin-address', 'none', ...flags.slice(0, 4)]);
  t.after(() => half.kill());
  assert.equal(await half.exited(30_000), 2);
  assert.match(half.stderr, /--webhook-address, --webhook-cert and --webhook-key go together/);
  const badBackend = ServeProcess.start(['--manifests', 'examples/demo', '--admin-address', 'none', ...flags, '--inject-backend', 'ipfw']);
  t.after(() => badBackend.kill());
  assert.equal(await badBackend.exited(30_000), 2);
  assert.match(badBackend.stderr, /--inject-backend must be iptables or nftables, not ipfw/);
});
