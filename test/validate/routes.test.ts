import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, put, summary } from './fixtures.ts';

test('a domain repeated across virtual hosts is rejected, ignoring case', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[1].domains', ['*', 'A.default.svc.cluster.local']);
  assert.deepEqual(summary(validateResources(set)), ['route.unique_domain 80 virtual_hosts[1].domains[1]']);
});

test('an unbracketed IPv6 domain is rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', 'fd00:10:96::a');
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['route.ipv6_domain_brackets 80 virtual_hosts[0].domains[6]']);
  assert.match(problems[0]!.message, /\[addr\]:port/);
});

test('an unbracketed IPv6 domain with a port is rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', 'fd00:10:96::a:80');
  assert.deepEqual(summary(validateResources(set)), ['route.ipv6_domain_brackets 80 virtual_hosts[0].domains[6]']);
});

test('brackets around something that is not IPv6 are rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', '[10.96.0.10]:80');
  assert.deepEqual(summary(validateResources(set)), ['route.domain_syntax 80 virtual_hosts[0].domains[6]']);
});

test('a wildcard in the middle of a domain is rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', 'a.*.svc');
  assert.deepEqual(summary(validateResources(set)), ['route.wildcard_domain 80 virtual_hosts[0].domains[6]']);
});

test('a domain with both a leading and a trailing wildcard is rejected', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', '*.svc.*');
  assert.deepEqual(summary(validateResources(set)), ['route.wildcard_domain 80 virtual_hosts[0].domains[6]']);
});

test('leading and trailing wildcards alone are accepted', () => {
  const set = dualStack();
  put(set.routes[0]!, 'virtual_hosts[0].domains[6]', '*.svc.cluster.local');
  put(set.routes[0]!, 'virtual_hosts[0].domains[7]', 'a.default.*');
  assert.deepEqual(summary(validateResources(set)), []);
});
