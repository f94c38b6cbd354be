import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources, type ResourceProblem } from '../../src/validate/index.ts';
import { consistent, makeResource, makeSnapshot, TypeUrl } from '../../src/xds/index.ts';
import { dualStack, Names, put, summary } from './fixtures.ts';

test('two clusters with one name are rejected on the second', () => {
  const set = dualStack();
  set.clusters.push({ ...set.clusters[0]!, connect_timeout: { seconds: 3 } });
  assert.deepEqual(summary(validateResources(set)), [`resource.unique_name ${Names.http} name`]);
});

test('a listener without a name is rejected', () => {
  const set = dualStack();
  put(set.listeners[1]!, 'name', undefined);
  assert.deepEqual(summary(validateResources(set)), ['resource.name_required  name']);
});

test('a TCP proxy to a cluster that does not exist is rejected', () => {
  const set = dualStack();
  set.clusters.splice(1, 1);
  set.endpoints.splice(1, 1);
  assert.deepEqual(summary(validateResources(set)), ['reference.cluster 10.96.0.20_5432 filter_chains[0].filters[0].typed_config.cluster']);
});

test('a route to a cluster that does not exist is rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].routes[0].route.cluster', 'outbound|81||a.default.svc.cluster.local');
  assert.deepEqual(summary(validateResources(set)), ['reference.cluster 80 virtual_hosts[0].routes[0].route.cluster']);
});

test('a weighted cluster that does not exist is rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].routes[0].route', {
    weighted_clusters: { clusters: [{ name: Names.http, weight: { value: 90 } }, { name: 'canary', weight: { value: 10 } }] },
  });
  assert.deepEqual(summary(validateResources(set)), ['reference.cluster 80 virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name']);
});

test('a route that takes its cluster from a header names no cluster', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].routes[0].route', { cluster_header: 'x-cluster' });
  assert.deepEqual(summary(validateResources(set)), []);
});

test('an RDS name without a route configuration is rejected', () => {
  const set = dualStack();
  set.routes.length = 0;
  assert.deepEqual(summary(validateResources(set)), ['reference.route_config 10.96.0.10_80 filter_chains[0].filters[0].typed_config.rds.route_config_name']);
});

test('an EDS cluster without its load assignment is rejected', () => {
  const set = dualStack();
  set.endpoints.splice(0, 1);
  assert.deepEqual(summary(validateResources(set)), [`reference.eds_assignment ${Names.http} name`]);
});

test('an EDS service name is looked up instead of the cluster name', () => {
  const set = dualStack();
  put(set.clusters[0]!, 'eds_cluster_config.service_name', 'a-endpoints');
  assert.deepEqual(summary(validateResources(set)), [`reference.eds_assignment ${Names.http} eds_cluster_config.service_name`]);
  put(set.endpoints[0]!, 'cluster_name', 'a-endpoints');
  assert.deepEqual(summary(validateResources(set)), []);
});

test('the xDS consistency check names the same dangling RDS and EDS references as the validator, by rule and path', () => {
  const set = dualStack();
  set.routes.length = 0;
  set.endpoints.splice(0, 1);
  const snapshot = makeSnapshot([
    ...set.listeners.map((l) => makeResource(TypeUrl.Listener, l)),
    ...set.clusters.map((c) => makeResource(TypeUrl.Cluster, c)),
    ...set.endpoints.map((e) => makeResource(TypeUrl.ClusterLoadAssignment, e)),
  ]);
  const where = (p: ResourceProblem): string => `${p.rule} ${p.resource} ${p.path}`;
  const fromXds = consistent(snapshot).map(where).sort();
  assert.ok(fromXds.length >= 2, fromXds.join('\n'));
  const fromValidator = validateResources(set).filter((p) => p.rule === 'reference.route_config' || p.rule === 'reference.eds_assignment');
  assert.deepEqual(fromXds, fromValidator.map(where).sort());
});
