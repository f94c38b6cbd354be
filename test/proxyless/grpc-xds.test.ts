// The real consumer: a @grpc/grpc-js-xds channel resolves `xds:///<target>` through biplane's ADS server holding the
// proxyless generator's resources, and its RPCs reach real grpc-js servers on 127.0.0.1 and [::1].
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { MeshModel } from '../../src/model/types.ts';
import { translateProxyless } from '../../src/translate/proxyless/index.ts';
import { SnapshotCache, TypeUrl, XdsServer, makeResource, makeSnapshot } from '../../src/xds/index.ts';
import { endpoint, proxy, service } from './fixtures.ts';

const require = createRequire(import.meta.url);
(require('@grpc/grpc-js-xds') as { register(): void }).register();

const PATH = '/biplane.test.Who/Am';
const identity = (b: Buffer): Buffer => b;
const WHO: grpc.ServiceDefinition = {
  Am: { path: PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

/** A plain grpc-js server answering its own label, bound to one loopback address. */
async function backend(host: string, label: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(WHO, { Am: (_call: unknown, done: grpc.sendUnaryData<Buffer>) => done(null, Buffer.from(label)) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

function call(client: grpc.Client): Promise<string> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(PATH, identity, identity, Buffer.alloc(0), { deadline: Date.now() + 5000 }, (err, value) =>
      err || !value ? reject(err ?? new Error('empty reply')) : resolve(value.toString()),
    );
  });
}

/** The labels of up to `max` RPCs, stopping once every wanted label was seen. */
async function reach(client: grpc.Client, wanted: readonly string[], max = 20): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < max && !wanted.every((w) => seen.has(w)); i++) seen.add(await call(client));
  return seen;
}

/** `who`: endpoints on 127.0.0.1 and [::1] (one family each); `both`: one dual-stack endpoint, only [::1] listening. */
function model(v4Port: number, v6Port: number, dualPort: number): MeshModel {
  const port = { name: 'grpc', port: 7070, protocol: 'GRPC' as const, targetPort: 'grpc' };
  const who = service('demo', 'who', ['10.96.0.10', 'fd00:10:96::a'], [port]);
  const both = service('demo', 'both', ['10.96.0.11', 'fd00:10:96::b'], [port]);
  return {
    services: [both, who],
    endpoints: [
      endpoint(both.hostname, ['127.0.0.1', '::1'], [{ name: 'grpc', port: dualPort }], { pod: { namespace: 'demo', name: 'both-0' } }),
      endpoint(who.hostname, ['127.0.0.1'], [{ name: 'grpc', port: v4Port }], { pod: { namespace: 'demo', name: 'who-0' } }),
      endpoint(who.hostname, ['::1'], [{ name: 'grpc', port: v6Port }], { pod: { namespace: 'demo', name: 'who-1' } }),
    ],
    pods: [],
    kubeClusterFamilies: ['IPv4', 'IPv6'],
    peerAuthentications: [],
  };
}

test('a grpc-js-xds channel resolves through biplane and reaches servers on 127.0.0.1 and [::1]', { timeout: 60_000 }, async () => {
  const dual = await backend('[::1]', 'dual-v6');
  const v6 = await backend('[::1]', 'v6');
  // 127.0.0.1 must refuse on the dual backend's port, so the v4 backend may not get that port number.
  let v4 = await backend('127.0.0.1', 'v4');
  while (v4.port === dual.port) {
    const taken = v4;
    v4 = await backend('127.0.0.1', 'v4');
    taken.server.forceShutdown();
  }
  const client = proxy('demo', ['10.244.0.5', 'fd00:10:244::5']);
  const out = translateProxyless(model(v4.port, v6.port, dual.port), client);
  const resources = [
    ...out.listeners.map((r) => makeResource(TypeUrl.Listener, r as unknown as Record<string, unknown>)),
    ...out.routes.map((r) => makeResource(TypeUrl.RouteConfiguration, r as unknown as Record<string, unknown>)),
    ...out.clusters.map((r) => makeResource(TypeUrl.Cluster, r as unknown as Record<string, unknown>)),
    ...out.endpoints.map((r) => makeResource(TypeUrl.ClusterLoadAssignment, r as unknown as Record<string, unknown>)),
  ];
  const cache = new SnapshotCache();
  cache.setSnapshot(client.id, makeSnapshot(resources));
  const xds = new XdsServer({ cache });
  const [address] = await xds.listen(['127.0.0.1:0']);
  const bootstrap = {
    xds_servers: [{ server_uri: address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: client.id, locality: {} },
  };
  const options = { 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap) };
  const channels: grpc.Client[] = [];
  const open = (target: string): grpc.Client => {
    const c = new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure(), options);
    channels.push(c);
    return c;
  };
  try {
    assert.deepEqual([...(await reach(open('who:7070'), ['v4', 'v6']))].sort(), ['v4', 'v6']);
    assert.deepEqual([...(await reach(open('[fd00:10:96::a]:7070'), ['v4', 'v6']))].sort(), ['v4', 'v6']);
    assert.deepEqual([...(await reach(open('who.demo.svc.cluster.local:7070'), ['v4', 'v6']))].sort(), ['v4', 'v6']);
    // One endpoint, two addresses: 127.0.0.1 refuses, the additional [::1] answers (A61, Happy Eyeballs).
    assert.equal(await call(open('both.demo:7070')), 'dual-v6');
  } finally {
    for (const c of channels) c.close();
    await xds.close(100);
    for (const b of [v4, v6, dual]) b.server.forceShutdown();
  }
});
