// The generator's output as its consumers see it: protobuf-encoded, checked by biplane's validator with gRPC rules, and
// decoded + validated by @grpc/grpc-js-xds's own resource types (the code that would NACK it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadManifests } from '../../src/sources/files/index.ts';
import { buildModel } from '../../src/model/build.ts';
import { parseProxy } from '../../src/model/proxy.ts';
import type { MeshModel, Proxy } from '../../src/model/types.ts';
import { proxylessListener, serverListenerName, translateProxyless, type ProxylessResources } from '../../src/translate/proxyless/index.ts';
import { validateResources } from '../../src/validate/index.ts';
import { greeterProxy, meshModel, proxy } from './fixtures.ts';
import { grpcErrors } from './grpc-js.ts';

function check(resources: ProxylessResources): void {
  assert.deepEqual(validateResources(resources, { client: 'grpc' }), []);
  assert.deepEqual(grpcErrors(resources), []);
}

async function demoModel(): Promise<MeshModel> {
  const load = await loadManifests('examples/demo');
  return buildModel(load.objects).model;
}

test('grpc-js-xds decodes and accepts every resource, and the gRPC validator finds nothing, for dual and single-family proxies', () => {
  for (const p of [greeterProxy(), proxy('other', ['10.244.5.5']), proxy('demo', ['fd00:10:244:7::7'])]) {
    const out = translateProxyless(meshModel(), p);
    assert.ok(out.listeners.length > 0 && out.endpoints.length > 0);
    check(out);
  }
});

test('on-demand server listeners for loopback and wildcards pass grpc-js-xds and the validator', () => {
  const p = greeterProxy();
  const listeners = ['127.0.0.1:7001', '[::1]:7001', '0.0.0.0:7001', '[::]:7001'].map((b) => proxylessListener(meshModel(), p, serverListenerName(b)));
  assert.ok(listeners.every((l) => l !== undefined));
  check({ listeners: listeners.flatMap((l) => (l ? [l] : [])), clusters: [], routes: [], endpoints: [] });
});

test('the checks can fail: grpc-js-xds rejects an assignment with a repeated address and a listener with listener filters', () => {
  const bad = {
    cluster_name: 'c',
    endpoints: [
      {
        locality: {},
        load_balancing_weight: { value: 1 },
        lb_endpoints: [{ endpoint: { address: { socket_address: { address: '::1', port_value: 1 } }, additional_addresses: [{ address: { socket_address: { address: '::1', port_value: 1 } } }] } }],
      },
    ],
  };
  const server = proxylessListener(meshModel(), greeterProxy(), serverListenerName('[::1]:7001'));
  assert.ok(server);
  const filtered = { ...server, listener_filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst' } }] };
  const errors = grpcErrors({ listeners: [filtered], clusters: [], routes: [], endpoints: [bad] });
  assert.equal(errors.length, 2, errors.join('\n'));
});

test('the demo cluster: the greeter pod, as a dual-stack proxyless server and client, gets resources gRPC accepts', async () => {
  const model = await demoModel();
  const greeterPod = model.pods.find((p) => p.namespace === 'demo' && p.name.startsWith('greeter'));
  assert.ok(greeterPod, 'the demo has a greeter pod');
  const parsed = parseProxy({ id: `proxyless~${greeterPod.ips[0]?.ip}~${greeterPod.name}.demo~demo.svc.cluster.local`, metadata: { NAMESPACE: 'demo', NAME: greeterPod.name } }, model);
  const p: Proxy | undefined = parsed.proxy;
  assert.ok(p);
  const out = translateProxyless(model, p);
  const fqdn = 'greeter.demo.svc.cluster.local:50051';
  assert.ok(out.listeners.some((l) => l.name === fqdn));
  assert.ok(out.listeners.some((l) => l.name === '[fd00:10:96::70]:50051'));
  assert.ok(out.listeners.some((l) => l.name.startsWith('grpc/server?xds.resource.listening_address=[::]:')));
  const cla = out.endpoints.find((e) => e.cluster_name === 'outbound|50051||greeter.demo.svc.cluster.local');
  const lb = cla?.endpoints.flatMap((l) => l.lb_endpoints) ?? [];
  assert.ok(lb.length > 0 && lb.every((e) => e.endpoint.additional_addresses?.length === 1), 'every dual-stack pod carries its other family');
  check(out);
});
