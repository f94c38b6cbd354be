import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, lbEndpoint, Names, put, sock, summary } from './fixtures.ts';

const FIRST = 'endpoints[0].lb_endpoints';

test('an endpoint additional address that is a host name is rejected', () => {
  const set = dualStack();
  put(set.endpoints[0]!, `${FIRST}[0].endpoint.additional_addresses[0].address`, sock('pod-a.local', 8080));
  assert.deepEqual(summary(validateResources(set)), [`endpoint.additional_address_ip ${Names.http} ${FIRST}[0].endpoint.additional_addresses[0].address`]);
});

test('an additional address repeating the endpoint primary address is rejected', () => {
  const set = dualStack();
  put(set.endpoints[0]!, `${FIRST}[0].endpoint.additional_addresses[0].address`, sock('10.244.1.5', 8080));
  assert.deepEqual(summary(validateResources(set)), [`endpoint.unique_address ${Names.http} ${FIRST}[0].endpoint.additional_addresses[0].address`]);
});

test('an ip:port repeated across two endpoints of one assignment is rejected', () => {
  const set = dualStack();
  put(set.endpoints[0]!, 'endpoints[1]', { lb_endpoints: [lbEndpoint(8080, 'fd00:10:244:2:0::7')] });
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), [`endpoint.unique_address ${Names.http} endpoints[1].lb_endpoints[0].endpoint.address`]);
  assert.match(problems[0]!.message, /already appears at endpoints\[0\]\.lb_endpoints\[1\]\.endpoint\.additional_addresses\[0\]\.address/);
});

test('the same IP on another port is a different endpoint', () => {
  const set = dualStack();
  put(set.endpoints[0]!, 'endpoints[1]', { lb_endpoints: [lbEndpoint(9090, '10.244.1.5', 'fd00:10:244:1::5')] });
  assert.deepEqual(summary(validateResources(set)), []);
});
