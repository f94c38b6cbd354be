// The ClusterRole grants exactly what the kube source does, derived from its code: which collections it reads
// (KUBE_RESOURCES), which client calls it makes on them (list*, watches), API discovery, and the TokenReviews that
// check workloads' ServiceAccount tokens (token-review.ts: an AuthenticationV1Api client's create calls). A new call in
// src/sources/kube/ (say a patch) changes the derived set and fails this test until deploy/ follows.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT_CONFIGMAP } from '../../src/ca/root-configmaps.ts';
import { CA_SECRET_NAME } from '../../src/ca/store.ts';
import { KUBE_RESOURCES } from '../../src/sources/kube/resources.ts';
import { one } from './manifests.ts';

const SRC = new URL('../../src/', import.meta.url).pathname;
const KUBE = path.join(SRC, 'sources/kube');

/** The verb a client-node typed call needs, from its method name. */
const VERB_OF_PREFIX: readonly (readonly [RegExp, string])[] = [
  [/^list/, 'list'],
  [/^read/, 'get'],
  [/^create/, 'create'],
  [/^patch/, 'patch'],
  [/^replace/, 'update'],
  [/^delete/, 'delete'],
];

function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: path.join(dir, f), text: readFileSync(path.join(dir, f), 'utf8') }));
}

/** What the kube source's code needs: verbs per group and resource, and non-resource URLs it reads. */
function derivedNeeds(): { resources: Map<string, Set<string>>; nonResource: string[] } {
  const files = sources(KUBE);
  const all = files.map((f) => f.text).join('\n');
  const resourceVerbs = new Set<string>();
  const nonResource: string[] = [];
  for (const [, method = ''] of all.matchAll(/\b(?:api|makeApiClient\(\w+\))\.(\w+)\(/g)) {
    if (method === 'getAPIVersions') {
      nonResource.push('/apis', '/apis/');
      continue;
    }
    const verb = VERB_OF_PREFIX.find(([re]) => re.test(method))?.[1];
    assert.ok(verb, `no RBAC verb known for client call ${method}: extend the test and deploy/clusterrole.yaml`);
    resourceVerbs.add(verb);
  }
  // Watches: client-node's Watch class, or a request of our own with the `watch=true` query parameter.
  if ((/new Watch\(/.test(all) && /\.watch\(/.test(all)) || /searchParams\.set\('watch', 'true'\)/.test(all)) resourceVerbs.add('watch');
  const lister = files.find((f) => f.file.endsWith('resources.ts'))?.text ?? '';
  const resources = new Map<string, Set<string>>();
  for (const r of KUBE_RESOURCES) {
    assert.match(lister, new RegExp(`case '${r.kind}':`), `makeLister lists ${r.kind}`);
    const group = r.apiVersion.includes('/') ? r.apiVersion.split('/')[0]! : '';
    resources.set(`${group}/${r.plural}`, new Set(resourceVerbs));
  }
  // TokenReview: its own client (named `reviews`, so the collection calls above never see it) and its own resource.
  const reviewClient = /(\w+) = kc\.makeApiClient\(AuthenticationV1Api\)/.exec(all)?.[1];
  if (reviewClient) {
    for (const [, method = ''] of all.matchAll(new RegExp(`\\b${reviewClient}\\.(\\w+)\\(`, 'g'))) {
      assert.match(method, /^create/, `TokenReview client call ${method}`);
      const verbs = resources.get('authentication.k8s.io/tokenreviews') ?? new Set<string>();
      resources.set('authentication.k8s.io/tokenreviews', verbs.add('create'));
    }
  }
  return { resources, nonResource: [...new Set(nonResource)].sort() };
}

/** The ClusterRole's grants in the same shape. */
function granted(): { resources: Map<string, Set<string>>; nonResource: string[] } {
  const resources = new Map<string, Set<string>>();
  const nonResource: string[] = [];
  for (const rule of one('ClusterRole', 'biplane')['rules'] as Record<string, string[]>[]) {
    if (rule['nonResourceURLs']) {
      assert.deepEqual(rule['verbs'], ['get']);
      nonResource.push(...rule['nonResourceURLs']);
      continue;
    }
    for (const group of rule['apiGroups'] ?? []) {
      for (const resource of rule['resources'] ?? []) {
        const key = `${group}/${resource}`;
        const verbs = resources.get(key) ?? new Set<string>();
        for (const v of rule['verbs'] ?? []) verbs.add(v);
        resources.set(key, verbs);
      }
    }
  }
  return { resources, nonResource: nonResource.sort() };
}

const plain = (m: Map<string, Set<string>>): Record<string, string[]> =>
  Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, [...v].sort()]));

test('the ClusterRole grants exactly the verbs and resources the kube source uses, API discovery and TokenReview creation', () => {
  const need = derivedNeeds();
  const have = granted();
  assert.deepEqual(plain(have.resources), plain(need.resources));
  assert.deepEqual(have.nonResource, need.nonResource);
  const collections = [...need.resources].filter(([key]) => key !== 'authentication.k8s.io/tokenreviews');
  assert.ok(collections.length >= 6 && collections.every(([, v]) => v.has('list') && v.has('watch')));
  assert.deepEqual([...(need.resources.get('authentication.k8s.io/tokenreviews') ?? [])], ['create']);
});

test('no code outside src/sources/kube/ and the CA\'s two kube files talks to the Kubernetes API, so RBAC covers it all', () => {
  const outside = sources(SRC).filter((f) => !f.file.startsWith(KUBE) && !CA_KUBE_FILES.includes(f.file) && /makeApiClient\(|new Watch\(|@kubernetes\/client-node/.test(f.text));
  assert.deepEqual(outside.map((f) => path.relative(SRC, f.file)), []);
});

// The workload CA's own calls, held to its own roles the same way: its Secret (a Role in biplane's namespace) and the
// root ConfigMap in every namespace (the ClusterRole biplane-ca).
const CA_SECRETS = path.join(SRC, 'ca/kube-secrets.ts');
const CA_CONFIGMAPS = path.join(SRC, 'ca/kube-configmaps.ts');
const CA_KUBE_FILES = [CA_SECRETS, CA_CONFIGMAPS];

/** The RBAC verbs of a file's `api.<call>(` calls, every call required to match `only`. */
function clientVerbs(file: string, only: RegExp): string[] {
  const verbs = new Set<string>();
  for (const [, method = ''] of readFileSync(file, 'utf8').matchAll(/\bapi\.(\w+)\(/g)) {
    assert.match(method, only, `unexpected client call ${method} in ${file}`);
    const verb = VERB_OF_PREFIX.find(([re]) => re.test(method))?.[1];
    assert.ok(verb, `no RBAC verb known for client call ${method}`);
    verbs.add(verb);
  }
  return [...verbs].sort();
}

/** A role's verbs on one core resource; every rule but create's must name exactly `name` (RBAC cannot limit create). */
function grantedOn(rules: readonly Record<string, string[]>[], resource: string, name: string): string[] {
  const verbs = new Set<string>();
  for (const rule of rules) {
    assert.deepEqual([rule['apiGroups'], rule['resources']], [[''], [resource]]);
    for (const verb of rule['verbs'] ?? []) verbs.add(verb);
    if (!(rule['verbs'] ?? []).includes('create')) assert.deepEqual(rule['resourceNames'], [name]);
    else assert.deepEqual(rule['verbs'], ['create']);
  }
  return [...verbs].sort();
}

test("the CA's Role grants exactly the Secret calls its root store makes, reads limited to its Secret", () => {
  const need = clientVerbs(CA_SECRETS, /NamespacedSecret$/);
  assert.deepEqual(need, ['create', 'get']);
  assert.deepEqual(grantedOn(one('Role', 'biplane-ca')['rules'], 'secrets', CA_SECRET_NAME), need);
});

test("the CA's ClusterRole grants exactly the ConfigMap calls that publish the root, limited to the root ConfigMap", () => {
  const need = clientVerbs(CA_CONFIGMAPS, /NamespacedConfigMap$/);
  assert.deepEqual(need, ['create', 'get', 'update']);
  assert.deepEqual(grantedOn(one('ClusterRole', 'biplane-ca')['rules'], 'configmaps', ROOT_CONFIGMAP), need);
});
