import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources, validateSet } from '../../src/validate/index.ts';
import { dualStack, Names, put, summary } from './fixtures.ts';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

test('an ORIGINAL_DST cluster HTTP routes use without a chosen upstream protocol is rejected', () => {
  const set = dualStack();
  put(set.clusters[2]!, 'typed_extension_protocol_options', undefined);
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), [`cluster.http_passthrough_protocol ${Names.passthrough} typed_extension_protocol_options`]);
  assert.match(problems[0]!.message, /HTTP\/1\.1 upstream/);
  assert.deepEqual(summary(validateSet(set)), summary(problems), 'a rule over routes and clusters together');
});

test('an explicit upstream protocol, or no HTTP route to the cluster, is accepted', () => {
  const explicit = dualStack();
  put(explicit.clusters[2]!, 'typed_extension_protocol_options', {
    [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http_protocol_options: {} } },
  });
  assert.deepEqual(summary(validateResources(explicit)), []);
  const tcpOnly = dualStack();
  put(tcpOnly.clusters[2]!, 'typed_extension_protocol_options', undefined);
  put(tcpOnly.routes[0]!, 'virtual_hosts[1].routes[0].route.cluster', Names.http);
  assert.deepEqual(summary(validateResources(tcpOnly)), []);
});
