// The ClusterRole grants exactly what the kube source does, derived from its code: which collections it reads
// (KUBE_RESOURCES), which client calls it makes on them (list*, watches), and API discovery. A new call in
// src/sources/kube/ (say a patch) changes the derived set and fails this test until deploy/ follows. The workload
// CA's calls are held the same way: its root ConfigMaps (ClusterRole) and its Secret (a Role in biplane's namespace).
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
/** The files outside the kube source that call the API: the CA's Secret store (the Role) and root ConfigMaps. */
const CA_SECRETS = path.join(SRC, 'ca/kube-secrets.ts');
const CA_CONFIGMAPS = path.join(SRC, 'ca/kube-configmaps.ts');

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
  // The CA's root ConfigMaps, in every namespace.
  resources.set('/configmaps', new Set(clientVerbs(readFileSync(CA_CONFIGMAPS, 'utf8'), /NamespacedConfigMap$/)));
  return { resources, nonResource: [...new Set(nonResource)].sort() };
}

/** The RBAC verbs of the `api.<call>(` calls in one file, every call required to match `only`. */
function clientVerbs(text: string, only: RegExp): string[] {
  const verbs = new Set<string>();
  for (const [, method = ''] of text.matchAll(/\bapi\.(\w+)\(/g)) {
    assert.match(method, only, `unexpected client call ${method}`);
    const verb = VERB_OF_PREFIX.find(([re]) => re.test(method))?.[1];
    assert.ok(verb, `no RBAC verb known for client call ${method}`);
    verbs.add(verb);
  }
  return [...verbs].sort();
}

/** The ClusterRole's grants in the same shape. */
function granted(): { resources: Map<string, Set<string>>; nonResource: string[] } {
  const resources = new Map<string, Set<string>>();
  const nonResource: string[] = [];
  for (const rule of one('ClusterRole')['rules'] as Record<string, string[]>[]) {
    if (rule['resourceNames']) assert.deepEqual([rule['resources'], rule['resourceNames']], [['configmaps'], [ROOT_CONFIGMAP]], 'only the root ConfigMap is named');
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

test('the ClusterRole grants exactly the verbs and resources the kube source and the CA\'s root ConfigMaps use, and API discovery', () => {
  const need = derivedNeeds();
  const have = granted();
  assert.deepEqual(plain(have.resources), plain(need.resources));
  assert.deepEqual(have.nonResource, need.nonResource);
  assert.ok(need.resources.size >= 7 && [...need.resources].every(([k, v]) => k === '/configmaps' || (v.has('list') && v.has('watch'))));
  const configMapRules = (one('ClusterRole')['rules'] as Record<string, string[]>[]).filter((r) => r['resources']?.includes('configmaps'));
  // RBAC cannot limit create by name; reading and replacing are held to the root ConfigMap.
  assert.ok(configMapRules.every((r) => r['verbs']!.every((v) => v === 'create') || r['resourceNames'] !== undefined));
});

test('no code outside src/sources/kube/ and the CA\'s Secret and ConfigMap files talks to the Kubernetes API, so RBAC covers it all', () => {
  const outside = sources(SRC).filter((f) => !f.file.startsWith(KUBE) && f.file !== CA_SECRETS && f.file !== CA_CONFIGMAPS && /makeApiClient\(|new Watch\(|@kubernetes\/client-node/.test(f.text));
  assert.deepEqual(outside.map((f) => path.relative(SRC, f.file)), []);
});

test("the Role grants exactly the Secret calls the CA's store makes, reads limited to the CA's Secret", () => {
  const need = new Set(clientVerbs(readFileSync(CA_SECRETS, 'utf8'), /NamespacedSecret$/));
  const rules = one('Role')['rules'] as Record<string, string[]>[];
  const have = new Set<string>();
  for (const rule of rules) {
    assert.deepEqual([rule['apiGroups'], rule['resources']], [[''], ['secrets']]);
    for (const verb of rule['verbs'] ?? []) have.add(verb);
    // RBAC cannot limit create by name; every other verb is held to the CA's own Secret.
    if (!(rule['verbs'] ?? []).includes('create')) assert.deepEqual(rule['resourceNames'], [CA_SECRET_NAME]);
  }
  assert.deepEqual([...have].sort(), [...need].sort());
  assert.deepEqual([...need].sort(), ['create', 'get']);
});
