// Proxyless gRPC golden tests: testdata/proxyless/<case>/input.yaml includes manifests and names a pod whose
// injection template makes it a proxyless gRPC application; what biplane builds for it (src/pipeline's
// buildProxyConfig, as the server does), encoded with the protos and printed as canonical proto3 JSON, must equal
// <case>/{listeners,clusters,routes,endpoints}.json, and both biplane's gRPC rules and grpc-js-xds's own decoders
// must accept it. UPDATE_GOLDEN=1 rewrites the files (and deletes stale ones); never under CI (test/support/golden.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { buildModel, indexModel, parseProxy, podProxyNode, podProxyType } from '../../src/model/index.ts';
import { buildProxyConfig, formatProblem } from '../../src/pipeline/index.ts';
import type { ProxylessResources } from '../../src/translate/proxyless/index.ts';
import { RESOURCE_TYPES, renderResource } from '../../src/translate/render.ts';
import { caseNames, loadCaseManifests, matchGolden, readCaseInput, removeStaleGoldens } from '../support/golden.ts';
import { grpcErrors } from './grpc-js.ts';

const ROOT = path.join(import.meta.dirname, '../../testdata/proxyless');
const KINDS = ['listeners', 'clusters', 'routes', 'endpoints'] as const;

/** The proxyless resources of the case's pod, built through the pipeline; any problem fails. */
async function buildCase(name: string): Promise<ProxylessResources> {
  const input = readCaseInput(path.join(ROOT, name), ['proxy']);
  const target = input.settings['proxy'];
  assert.ok(typeof target === 'string' && target.includes('/'), `${name}/input.yaml: proxy: namespace/pod`);
  const loaded = await loadCaseManifests(input.include);
  const built = buildModel(loaded.objects);
  assert.deepEqual([...loaded.problems, ...built.problems].map(formatProblem), [], `${name}: the manifests load cleanly`);
  const pod = built.model.pods.find((p) => `${p.namespace}/${p.name}` === target);
  assert.ok(pod, `${name}: pod ${target} not found`);
  assert.equal(podProxyType(pod), 'proxyless', `${name}: ${target} is a proxyless gRPC pod`);
  const { proxy } = parseProxy(podProxyNode(pod, 'proxyless'), built.model);
  assert.ok(proxy?.type === 'proxyless', `${name}: ${target}'s node parses as a proxyless proxy`);
  const config = buildProxyConfig(indexModel(built.model), proxy);
  assert.deepEqual(config.problems.map(formatProblem), [], `${name}: the gRPC validator accepts what was built`);
  assert.ok(config.resources, `${name}: resources were built`);
  return config.resources as ProxylessResources;
}

const cases = caseNames(ROOT);

test('there are proxyless golden cases for IPv4-only, IPv6-only and dual clients (either family first) and servers', () => {
  for (const name of ['client-ipv4', 'client-ipv6', 'client-dual-ipv4-primary', 'client-dual-ipv6-primary', 'server-dual-ipv6-primary', 'server-ipv6']) {
    assert.ok(cases.includes(name), `missing case ${name}`);
  }
});

for (const name of cases) {
  test(`proxyless golden ${name}`, async () => {
    const dir = path.join(ROOT, name);
    const resources = await buildCase(name);
    assert.ok(resources.listeners.length > 0 && resources.clusters.length > 0, `${name}: something to compare`);
    for (const kind of KINDS) {
      const rendered = resources[kind].map((r: object) => renderResource(RESOURCE_TYPES[kind], r));
      matchGolden(path.join(dir, `${kind}.json`), `${JSON.stringify(rendered, null, 2)}\n`, `proxyless/${name}/${kind}.json`);
    }
    removeStaleGoldens(dir, '.json', KINDS.map((k) => `${k}.json`));
    assert.deepEqual(grpcErrors(resources), [], 'grpc-js-xds decodes and accepts every resource');
  });
}
