// Drives @grpc/grpc-js-xds, an independent xDS client, against biplane's ADS server: one RPC through xds:///.
// Each family runs in its own test file because grpc-js-xds reads its bootstrap once per process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { SnapshotCache, TypeUrl, XdsServer, consistent, makeResource, makeSnapshot } from '../../src/xds/index.ts';
import type { Snapshot } from '../../src/xds/index.ts';

/** The echo service both gRPC tests call. */
export const ECHO_PROTO = `syntax = "proto3";
package echo;
message Msg { string text = 1; }
service Echo { rpc Say (Msg) returns (Msg); }
`;

/** The gRPC client's view of the mesh: the LDS name is the target authority. */
export const AUTHORITY = 'echo.biplane.test:50051';
export const NODE_ID = 'grpc-client-1';

/** A proxyless-gRPC snapshot: api_listener with HCM over RDS, a route, an EDS cluster and its endpoint. */
export function grpcSnapshot(host: string, port: number): Snapshot {
  const hcm = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    rds: { route_config_name: 'echo-route', config_source: { ads: {} } },
    http_filters: [{ name: 'router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
  };
  return makeSnapshot([
    makeResource(TypeUrl.Listener, { name: AUTHORITY, api_listener: { api_listener: hcm } }),
    makeResource(TypeUrl.RouteConfiguration, {
      name: 'echo-route',
      virtual_hosts: [{ name: 'echo', domains: [AUTHORITY], routes: [{ match: { prefix: '' }, route: { cluster: 'echo-cluster' } }] }],
    }),
    makeResource(TypeUrl.Cluster, {
      name: 'echo-cluster',
      type: 'EDS',
      lb_policy: 'ROUND_ROBIN',
      eds_cluster_config: { eds_config: { ads: {} } },
    }),
    makeResource(TypeUrl.ClusterLoadAssignment, {
      cluster_name: 'echo-cluster',
      endpoints: [
        {
          locality: { region: 'test' },
          load_balancing_weight: { value: 1 },
          lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: port } } } }],
        },
      ],
    }),
  ]);
}

type EchoClient = grpc.Client & {
  Say(req: { text: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { text: string }) => void): void;
};

/** What one run observed. */
export interface XdsRunResult {
  readonly reply: string;
  readonly problems: readonly string[];
  readonly acked: readonly string[];
  readonly nacks: readonly string[];
}

/** Starts a backend and an xDS server on `host` (IPv4 or IPv6 literal), then calls the backend through xds:///. */
export async function runGrpcXds(host: '127.0.0.1' | '::1'): Promise<XdsRunResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-echo-'));
  const bracketed = host.includes(':') ? `[${host}]` : host;
  const backend = new grpc.Server();
  const xds = new XdsServer({ cache: new SnapshotCache() });
  let client: EchoClient | undefined;
  try {
    writeFileSync(path.join(dir, 'echo.proto'), ECHO_PROTO);
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(path.join(dir, 'echo.proto'))) as unknown as {
      echo: { Echo: (new (target: string, creds: grpc.ChannelCredentials) => EchoClient) & { service: grpc.ServiceDefinition } };
    };
    backend.addService(pkg.echo.Echo.service, {
      Say: (call: grpc.ServerUnaryCall<{ text: string }, { text: string }>, cb: grpc.sendUnaryData<{ text: string }>) =>
        cb(null, { text: `echo ${call.request.text} via ${host}` }),
    });
    const backendPort = await new Promise<number>((resolve, reject) =>
      backend.bindAsync(`${bracketed}:0`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const acked = new Set<string>();
    const nacks: string[] = [];
    xds.events.on('ack', (e) => acked.add(e.typeUrl));
    xds.events.on('nack', (e) => nacks.push(`${e.typeUrl}: ${e.error.message}`));
    const [address] = await xds.listen([`${bracketed}:0`]);
    const snapshot = grpcSnapshot(host, backendPort);
    xds.cache.setSnapshot(NODE_ID, snapshot);
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [{ server_uri: address, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: NODE_ID, locality: {} },
    });
    const xdsModule = (await import('@grpc/grpc-js-xds')) as unknown as { register: () => void; default?: { register: () => void } };
    (xdsModule.register ?? xdsModule.default?.register)?.();
    client = new pkg.echo.Echo(`xds:///${AUTHORITY}`, grpc.credentials.createInsecure());
    const c = client;
    const reply = await new Promise<string>((resolve, reject) =>
      c.Say({ text: 'hi' }, { deadline: Date.now() + 15_000 }, (err, res) => (err ? reject(err) : resolve(res?.text ?? ''))),
    );
    const deadline = Date.now() + 3000;
    while (acked.size < 4 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 10));
    return { reply, problems: consistent(snapshot).map((p) => p.message), acked: [...acked].sort(), nacks };
  } finally {
    client?.close();
    backend.forceShutdown();
    await xds.close(200);
    rmSync(dir, { recursive: true, force: true });
  }
}
