import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, lbEndpoint, Names, put, sock, summary } from './fixtures.ts';

const PASSTHROUGH = 2;
const EXTERNAL = 3;
const BIND = 'upstream_bind_config';

test('two extra source addresses are rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, `${BIND}.extra_source_addresses[1]`, { address: { address: '::7', port_value: 0 } });
  assert.deepEqual(summary(validateResources(set)), [`bind.extra_source_count ${Names.passthrough} ${BIND}.extra_source_addresses`]);
});

test('an extra source address of the source address family is rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, `${BIND}.extra_source_addresses[0].address.address`, '127.0.0.7');
  assert.deepEqual(summary(validateResources(set)), [`bind.extra_source_family ${Names.passthrough} ${BIND}.extra_source_addresses[0].address`]);
});

test('extra source addresses without a source address are rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, `${BIND}.source_address`, undefined);
  assert.deepEqual(summary(validateResources(set)), [`bind.source_required ${Names.passthrough} ${BIND}.source_address`]);
});

test('extra source addresses combined with the deprecated additional source addresses are rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, `${BIND}.additional_source_addresses`, [{ address: '::6', port_value: 0 }]);
  assert.deepEqual(summary(validateResources(set)), [`bind.deprecated_combined ${Names.passthrough} ${BIND}.additional_source_addresses`]);
});

test('an extra source address that is a host name is rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, `${BIND}.extra_source_addresses[0].address.address`, 'localhost');
  assert.deepEqual(summary(validateResources(set)), [`bind.ip_literal ${Names.passthrough} ${BIND}.extra_source_addresses[0].address`]);
});

test('an ORIGINAL_DST cluster with round robin is rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, 'lb_policy', undefined);
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), [`cluster.original_dst_lb_policy ${Names.passthrough} lb_policy`]);
  assert.match(problems[0]!.message, /is ROUND_ROBIN; an ORIGINAL_DST cluster needs CLUSTER_PROVIDED/);
});

test('CLUSTER_PROVIDED on an EDS cluster is rejected', () => {
  const set = dualStack();
  put(set.clusters[0]!, 'lb_policy', 'CLUSTER_PROVIDED');
  assert.deepEqual(summary(validateResources(set)), [`cluster.original_dst_lb_policy ${Names.http} lb_policy`]);
});

test('an ORIGINAL_DST cluster with endpoints is rejected', () => {
  const set = dualStack();
  put(set.clusters[PASSTHROUGH]!, 'load_assignment', { cluster_name: Names.passthrough, endpoints: [{ lb_endpoints: [lbEndpoint(80, '10.0.0.1')] }] });
  assert.deepEqual(summary(validateResources(set)), [`cluster.original_dst_endpoints ${Names.passthrough} load_assignment`]);
});

test('a LOGICAL_DNS cluster with two endpoints is rejected', () => {
  const set = dualStack();
  put(set.clusters[EXTERNAL]!, 'load_assignment.endpoints[0].lb_endpoints[1]', { endpoint: { address: sock('api2.example.com', 443) } });
  assert.deepEqual(summary(validateResources(set)), [`cluster.logical_dns_single_endpoint ${Names.external} load_assignment`]);
});

test('a LOGICAL_DNS cluster with two localities of one endpoint each is rejected', () => {
  const set = dualStack();
  put(set.clusters[EXTERNAL]!, 'load_assignment.endpoints[1]', { lb_endpoints: [{ endpoint: { address: sock('api2.example.com', 443) } }] });
  assert.deepEqual(summary(validateResources(set)), [`cluster.logical_dns_single_endpoint ${Names.external} load_assignment`]);
});

test('a STATIC cluster (the default type) without load_assignment is rejected', () => {
  const set = dualStack();
  set.clusters.push({ name: 'static', connect_timeout: { seconds: 1 } });
  assert.deepEqual(summary(validateResources(set)), ['cluster.load_assignment_required static load_assignment']);
});

test('a STRICT_DNS cluster without load_assignment is rejected', () => {
  const set = dualStack();
  put(set.clusters[EXTERNAL]!, 'type', 'STRICT_DNS');
  put(set.clusters[EXTERNAL]!, 'load_assignment', undefined);
  assert.deepEqual(summary(validateResources(set)), [`cluster.load_assignment_required ${Names.external} load_assignment`]);
});

test('a STATIC cluster with a host name endpoint is rejected', () => {
  const set = dualStack();
  set.clusters.push({ name: 'static', type: 'STATIC', load_assignment: { cluster_name: 'static', endpoints: [{ lb_endpoints: [{ endpoint: { address: sock('db.local', 5432) } }] }] } });
  assert.deepEqual(summary(validateResources(set)), ['cluster.static_ip static load_assignment.endpoints[0].lb_endpoints[0].endpoint.address']);
});

test('additional addresses on a DNS cluster are rejected', () => {
  const set = dualStack();
  put(set.clusters[EXTERNAL]!, 'load_assignment.endpoints[0].lb_endpoints[0].endpoint.additional_addresses', [{ address: sock('2001:db8::1', 443) }]);
  assert.deepEqual(summary(validateResources(set)), [
    `cluster.additional_addresses_type ${Names.external} load_assignment.endpoints[0].lb_endpoints[0].endpoint.additional_addresses[0].address`,
  ]);
});

test('an EDS cluster without eds_cluster_config is rejected', () => {
  const set = dualStack();
  put(set.clusters[0]!, 'eds_cluster_config', undefined);
  assert.deepEqual(summary(validateResources(set)), [`cluster.eds_config_required ${Names.http} eds_cluster_config`]);
});

test('a STATIC dual-stack cluster with an inline assignment is checked like EDS', () => {
  const set = dualStack();
  set.clusters.push({
    name: 'static',
    load_assignment: { cluster_name: 'static', endpoints: [{ lb_endpoints: [lbEndpoint(80, '10.0.0.1', 'fd00::1'), lbEndpoint(80, 'fd00::1')] }] },
  });
  assert.deepEqual(summary(validateResources(set)), ['endpoint.unique_address static load_assignment.endpoints[0].lb_endpoints[1].endpoint.address']);
});
