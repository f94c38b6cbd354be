import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatProblems, validateResource, validateResources, type ResourceProblem } from '../../src/validate/index.ts';
import { decodeMessage, encodeMessage } from '../../src/envoy-api/protos.ts';
import { dualStack, Names, put, Type } from './fixtures.ts';

test('a correct dual-stack snapshot passes with zero problems', () => {
  const problems = validateResources(dualStack());
  assert.deepEqual(problems, [], formatProblems(problems));
});

test('each resource of the dual-stack snapshot passes on its own and survives the real encoder', () => {
  const set = dualStack();
  const typed: readonly [string, readonly object[]][] = [
    [Type.Listener, set.listeners],
    [Type.Cluster, set.clusters],
    [Type.RouteConfiguration, set.routes],
    [Type.ClusterLoadAssignment, set.endpoints],
  ];
  for (const [typeUrl, resources] of typed) {
    for (const resource of resources) {
      assert.deepEqual(validateResource(typeUrl, resource), []);
      assert.ok(Object.keys(decodeMessage(typeUrl, encodeMessage(typeUrl, resource))).length > 0);
    }
  }
});

test('validating does not modify the resources', () => {
  const set = dualStack();
  const before = JSON.stringify(set);
  put(set.listeners[0]!, 'additional_addresses[0].address.socket_address.address', '10.96.0.10');
  const after = JSON.stringify(set);
  validateResources(set);
  assert.equal(JSON.stringify(set), after);
  assert.notEqual(before, after);
});

test('problems come sorted by type then resource name, whatever the input order', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', 'fd00::1');
  put(set.clusters[0]!, 'lb_policy', 'CLUSTER_PROVIDED');
  put(set.listeners[2]!, 'address.socket_address.port_value', 70000);
  put(set.listeners[0]!, 'additional_addresses[0].address.socket_address.protocol', 'UDP');
  const forward = validateResources(set);
  const reversed = validateResources({
    listeners: [...set.listeners].reverse(),
    clusters: [...set.clusters].reverse(),
    routes: [...set.routes].reverse(),
    endpoints: [...set.endpoints].reverse(),
  });
  const key = (p: ResourceProblem): string => `${p.typeUrl} ${p.resource} ${p.rule}`;
  assert.deepEqual(forward.map(key), reversed.map(key));
  assert.deepEqual(forward.map((p) => `${p.typeUrl.split('.').pop()} ${p.resource}`), [
    'Listener 10.96.0.10_80',
    'Listener virtualInbound',
    'RouteConfiguration 80',
    `Cluster ${Names.http}`,
  ]);
});

test('formatted problems name the type, resource, path, message and rule on one line', () => {
  const set = dualStack();
  put(set.listeners[0]!, 'additional_addresses[0].address.socket_address.address', '10.96.0.10');
  assert.equal(
    formatProblems(validateResources(set)),
    'Listener "10.96.0.10_80" additional_addresses[0].address: TCP 10.96.0.10:80 is already bound at address of this listener [listener.unique_address]',
  );
});

test('a resource that is not an object is reported, not thrown', () => {
  const problems = validateResources({ listeners: [[] as unknown as object], clusters: [], routes: [], endpoints: [] });
  assert.deepEqual(problems.map((p) => p.rule), ['proto.type', 'resource.name_required']);
});
