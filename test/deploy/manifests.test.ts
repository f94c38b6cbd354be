// deploy/ is consistent with itself: the kustomization lists every file, names and selectors agree, the Service is
// dual-stack with the Deployment's ports, and the rollout is safe (replicas, probe, resources, disruption budget).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { DEPLOY, deployObjects, kustomization, one } from './manifests.ts';

const NAMESPACED = new Set(['ServiceAccount', 'Deployment', 'PodDisruptionBudget', 'Service', 'Role', 'RoleBinding']);

test('the kustomization lists exactly the manifest files in deploy/, and every object sits in its namespace', () => {
  const k = kustomization();
  const files = readdirSync(DEPLOY).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
  assert.deepEqual([...(k['resources'] as string[])].sort(), files);
  const ns = one('Namespace')['metadata']['name'];
  assert.equal(k['namespace'], ns);
  for (const { file, obj } of deployObjects()) {
    if (NAMESPACED.has(obj['kind'])) assert.equal(obj['metadata']['namespace'], ns, `${file}: ${obj['kind']} namespace`);
    else assert.equal(obj['metadata']['namespace'], undefined, `${file}: ${obj['kind']} is cluster-scoped`);
  }
  const kinds = deployObjects().map((o) => o.obj['kind']).sort();
  assert.deepEqual(kinds, ['ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'ClusterRoleBinding', 'Deployment', 'MutatingWebhookConfiguration', 'Namespace', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
});

test('the binding ties the ClusterRole to the ServiceAccount the Deployment runs as', () => {
  const sa = one('ServiceAccount');
  const binding = one('ClusterRoleBinding', 'biplane');
  assert.deepEqual(binding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: one('ClusterRole', 'biplane')['metadata']['name'] });
  assert.deepEqual(binding['subjects'], [{ kind: 'ServiceAccount', name: sa['metadata']['name'], namespace: sa['metadata']['namespace'] }]);
  assert.equal(one('Deployment')['spec']['template']['spec']['serviceAccountName'], sa['metadata']['name']);
});

test("the CA's bindings tie its Role (biplane's namespace only) and ClusterRole to the same ServiceAccount", () => {
  const sa = one('ServiceAccount');
  const subjects = [{ kind: 'ServiceAccount', name: sa['metadata']['name'], namespace: sa['metadata']['namespace'] }];
  const binding = one('RoleBinding', 'biplane-ca');
  assert.deepEqual(binding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: one('Role', 'biplane-ca')['metadata']['name'] });
  assert.deepEqual(binding['subjects'], subjects);
  assert.equal(binding['metadata']['namespace'], sa['metadata']['namespace']);
  const clusterBinding = one('ClusterRoleBinding', 'biplane-ca');
  assert.deepEqual(clusterBinding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: one('ClusterRole', 'biplane-ca')['metadata']['name'] });
  assert.deepEqual(clusterBinding['subjects'], subjects);
});

test('the Deployment, Service and PodDisruptionBudget select the same pods', () => {
  const deployment = one('Deployment');
  const labels = deployment['spec']['template']['metadata']['labels'] as Record<string, string>;
  const selects = (selector: Record<string, string>): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);
  assert.ok(selects(deployment['spec']['selector']['matchLabels']), 'deployment selector');
  assert.ok(selects(one('Service')['spec']['selector']), 'service selector');
  assert.ok(selects(one('PodDisruptionBudget')['spec']['selector']['matchLabels']), 'pdb selector');
});

test('two replicas with a /ready readiness probe, resources, non-root, and a budget that keeps one up', () => {
  const spec = one('Deployment')['spec'];
  assert.equal(spec['replicas'], 2);
  const pod = spec['template']['spec'];
  assert.equal(pod['securityContext']['runAsNonRoot'], true);
  const [container, ...others] = pod['containers'];
  assert.equal(others.length, 0);
  assert.equal(container['readinessProbe']['httpGet']['path'], '/ready');
  assert.equal(container['readinessProbe']['httpGet']['port'], 'http-admin');
  assert.ok(container['resources']['requests']['cpu'] && container['resources']['requests']['memory']);
  assert.ok(container['resources']['limits']['memory']);
  const pdb = one('PodDisruptionBudget')['spec'];
  assert.ok(pdb['minAvailable'] >= 1 && pdb['minAvailable'] < spec['replicas'], 'the budget lets one replica go at a time');
});

test("biplane's Service is PreferDualStack: xDS 15010, TLS xDS 15012 and admin 15014 as themselves, the webhook's 15017 as 443", () => {
  const svc = one('Service')['spec'];
  assert.equal(svc['ipFamilyPolicy'], 'PreferDualStack');
  const containerPorts = new Map<string, number>(
    one('Deployment')['spec']['template']['spec']['containers'][0]['ports'].map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
  );
  const ports = svc['ports'] as { name: string; port: number; targetPort: string }[];
  assert.deepEqual(ports.map((p) => [p.name, p.port]).sort(), [['grpc-xds', 15010], ['grpc-xds-tls', 15012], ['http-admin', 15014], ['https-webhook', 443]]);
  const expected: Record<string, number> = { 'grpc-xds': 15010, 'grpc-xds-tls': 15012, 'http-admin': 15014, 'https-webhook': 15017 };
  for (const p of ports) assert.equal(containerPorts.get(p.targetPort), expected[p.name], `${p.name} targets container port ${expected[p.name]}`);
});
