// deploy/'s MutatingWebhookConfiguration agrees with the Service, the Deployment and the code: it calls the path the
// webhook serves through the Service port that reaches the container port `serve --webhook-address` binds, the
// Deployment mounts the TLS Secret where its flags read the files, and its selectors honour Istio's opt-out and keep
// the system namespaces (biplane's own included) out, evaluated here as the API server evaluates label selectors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readFlags } from '../../src/cli/serve.ts';
import { INJECT_KEY } from '../../src/inject/index.ts';
import { WEBHOOK_PATH } from '../../src/server/webhook.ts';
import { DEPLOY, one, type Obj } from './manifests.ts';

const webhooks = (): Obj[] => one('MutatingWebhookConfiguration')['webhooks'];
const container = (): Obj => one('Deployment')['spec']['template']['spec']['containers'][0];

/** A Kubernetes label selector (matchLabels and matchExpressions) applied to `labels`. */
function selects(selector: Obj | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const exact = Object.entries((selector['matchLabels'] ?? {}) as Record<string, string>).every(([k, v]) => labels[k] === v);
  return exact && ((selector['matchExpressions'] ?? []) as Obj[]).every((e) => {
    const value = labels[e['key']];
    switch (e['operator']) {
      case 'In': return value !== undefined && e['values'].includes(value);
      case 'NotIn': return value === undefined || !e['values'].includes(value);
      case 'Exists': return value !== undefined;
      case 'DoesNotExist': return value === undefined;
      default: throw new Error(`unknown operator ${e['operator']}`);
    }
  });
}

test('one v1 webhook, fully qualified, for Pod CREATE only, without side effects, with a reasoned failure policy', () => {
  const [hook, ...others] = webhooks();
  assert.equal(others.length, 0);
  assert.match(hook?.['name'], /^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/, 'webhook names need at least three DNS segments');
  assert.deepEqual(hook?.['rules'], [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: 'Namespaced' }]);
  assert.equal(hook?.['sideEffects'], 'None');
  assert.deepEqual(hook?.['admissionReviewVersions'], ['v1']);
  assert.ok(['Fail', 'Ignore'].includes(hook?.['failurePolicy']));
  const text = readFileSync(path.join(DEPLOY, 'mutatingwebhookconfiguration.yaml'), 'utf8');
  assert.match(text, /#[^\n]*\n(\s*#[^\n]*\n)*\s*failurePolicy:/, 'a comment gives the reason for the failure policy');
});

test("the webhook calls the Service's 443, which reaches the container port serve's --webhook-address binds, on the path it serves", () => {
  const service = one('MutatingWebhookConfiguration')['webhooks'][0]['clientConfig']['service'];
  const svc = one('Service');
  assert.deepEqual([service['name'], service['namespace']], [svc['metadata']['name'], svc['metadata']['namespace']]);
  assert.equal(service['path'], WEBHOOK_PATH);
  const port = (svc['spec']['ports'] as Obj[]).find((p) => p['port'] === service['port']);
  assert.ok(port, `the Service has port ${service['port']}`);
  const containerPort = (container()['ports'] as Obj[]).find((p) => p['name'] === port['targetPort'])?.['containerPort'];
  const flags = readFlags((container()['args'] as string[]).slice(1));
  assert.ok(typeof flags === 'object' && flags.webhook, 'serve runs the webhook');
  assert.equal(Number(flags.webhook.address.slice(flags.webhook.address.lastIndexOf(':') + 1)), containerPort);
});

test('the Deployment mounts the TLS Secret read-only where --webhook-cert and --webhook-key read it', () => {
  const flags = readFlags((container()['args'] as string[]).slice(1));
  assert.ok(typeof flags === 'object' && flags.webhook);
  const mounts = container()['volumeMounts'] as Obj[];
  const volumes = one('Deployment')['spec']['template']['spec']['volumes'] as Obj[];
  for (const file of [flags.webhook.certFile, flags.webhook.keyFile]) {
    const mount = mounts.find((m) => path.dirname(file) === m['mountPath']);
    assert.ok(mount, `${file} is on a mounted volume`);
    assert.equal(mount['readOnly'], true);
    const volume = volumes.find((v) => v['name'] === mount['name']);
    assert.equal(volume?.['secret']?.['secretName'], 'biplane-webhook-tls');
    assert.ok(['tls.crt', 'tls.key'].includes(path.basename(file)), 'a kubernetes.io/tls Secret has tls.crt and tls.key');
  }
});

test("the selectors send ordinary pods, and keep out opted-out pods and namespaces, the system namespaces and biplane's own", () => {
  const hook = webhooks()[0] ?? {};
  const ns = (name: string, labels: Record<string, string> = {}): Record<string, string> => ({ 'kubernetes.io/metadata.name': name, ...labels });
  const sent = (namespace: Record<string, string>, pod: Record<string, string>): boolean =>
    selects(hook['namespaceSelector'], namespace) && selects(hook['objectSelector'], pod);
  assert.ok(sent(ns('shop'), { app: 'web' }));
  assert.ok(sent(ns('shop', { [INJECT_KEY]: 'true' }), { app: 'web', [INJECT_KEY]: 'true' }));
  assert.ok(!sent(ns('shop'), { app: 'web', [INJECT_KEY]: 'false' }), 'a pod labelled false');
  assert.ok(!sent(ns('shop', { [INJECT_KEY]: 'false' }), { app: 'web' }), 'a namespace labelled false');
  for (const system of ['kube-system', 'kube-public', 'kube-node-lease', one('Namespace')['metadata']['name']]) {
    assert.ok(!sent(ns(system), { app: 'x' }), system);
  }
  const biplanePod = one('Deployment')['spec']['template']['metadata']['labels'];
  assert.ok(!sent(ns(one('Deployment')['metadata']['namespace']), biplanePod), 'biplane never waits for itself');
});
