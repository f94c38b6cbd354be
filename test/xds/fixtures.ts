// Small hand-built Envoy resources and a server on both loopback families, shared by the xDS tests.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { SnapshotCache, TypeUrl, XdsServer, makeResource, makeSnapshot } from '../../src/xds/index.ts';
import type { Resource, Snapshot, XdsServerOptions } from '../../src/xds/index.ts';
import { openSotw, sotwNames } from './raw-client.ts';

/** Loopback listen addresses of both families. */
export const LOOPBACKS = ['127.0.0.1:0', '[::1]:0'] as const;

/** An EDS cluster served over ADS. */
export function cluster(name: string, timeoutSeconds = 1): Resource {
  return makeResource(TypeUrl.Cluster, {
    name,
    type: 'EDS',
    connect_timeout: { seconds: timeoutSeconds },
    eds_cluster_config: { eds_config: { ads: {} } },
  });
}

/** A ClusterLoadAssignment with one endpoint per address (IPv4 or IPv6). */
export function endpoints(name: string, addresses: readonly string[], port = 8080): Resource {
  return makeResource(TypeUrl.ClusterLoadAssignment, {
    cluster_name: name,
    endpoints: [
      {
        locality: {},
        load_balancing_weight: { value: 1 },
        lb_endpoints: addresses.map((address) => ({ endpoint: { address: { socket_address: { address, port_value: port } } } })),
      },
    ],
  });
}

/** A listener whose HttpConnectionManager takes routes from RDS over ADS. */
export function listener(name: string, routeName: string, port = 15001): Resource {
  return makeResource(TypeUrl.Listener, {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    additional_addresses: [{ address: { socket_address: { address: '::', port_value: port } } }],
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: name,
              rds: { route_config_name: routeName, config_source: { ads: {} } },
              http_filters: [
                { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } },
              ],
            },
          },
        ],
      },
    ],
  });
}

/** A route configuration sending every request to one cluster. */
export function route(name: string, clusterName: string, domain = '*'): Resource {
  return makeResource(TypeUrl.RouteConfiguration, {
    name,
    virtual_hosts: [{ name: 'all', domains: [domain], routes: [{ match: { prefix: '' }, route: { cluster: clusterName } }] }],
  });
}

/** A consistent snapshot of `n` services (cluster, endpoints, listener, route each); `gen` changes endpoint ports. */
export function world(n: number, gen = 0): Snapshot {
  const rs: Resource[] = [];
  for (let i = 0; i < n; i++) {
    rs.push(cluster(`c${i}`), endpoints(`c${i}`, ['10.0.0.1', 'fd00::1'], 8000 + gen), listener(`l${i}`, `r${i}`, 15000 + i), route(`r${i}`, `c${i}`));
  }
  return makeSnapshot(rs);
}

/** A running server on one loopback family, with its cache. */
export interface Running {
  readonly server: XdsServer;
  readonly cache: SnapshotCache;
  readonly address: string;
}

/** Starts a server on one address (e.g. "127.0.0.1:0"); resolves with the bound address. */
export async function start(address: string, options: Omit<XdsServerOptions, 'cache'> = {}): Promise<Running> {
  const cache = new SnapshotCache();
  const server = new XdsServer({ cache, ...options });
  const [bound] = await server.listen([address]);
  return { server, cache, address: bound as string };
}

/** A server for the enclosing `describe`, and `connect()` for streams that are all closed with it. */
export function serveForSuite<S extends { close(): void }>(address: string, open: (address: string) => S): { readonly run: Running; connect(): S } {
  let running: Running | undefined;
  const streams: S[] = [];
  before(async () => {
    running = await start(address);
  });
  after(async () => {
    for (const s of streams) s.close();
    await running?.server.close();
  });
  const run = (): Running => {
    if (!running) throw new Error('the suite server is not started yet');
    return running;
  };
  return {
    get run() {
      return run();
    },
    connect() {
      const s = open(run().address);
      streams.push(s);
      return s;
    },
  };
}

/** A node object for requests. */
export function node(id: string): object {
  return { id, cluster: 'test', locality: {} };
}

/** A snapshot of `n` clusters with long names (about 100 bytes each), for response-size limits. */
export function makeBig(n: number): Snapshot {
  return makeSnapshot(Array.from({ length: n }, (_, i) => cluster(`big-${i}-${'x'.repeat(90)}`)));
}

/** Asserts that a fresh SotW stream for node `ok` (snapshot `world(2)`) still gets its clusters from `address`. */
export async function stillServes(address: string): Promise<void> {
  const s = openSotw(address);
  try {
    s.send({ node: node('ok'), type_url: TypeUrl.Cluster });
    assert.deepEqual(sotwNames(await s.next()), ['c0', 'c1']);
  } finally {
    s.close();
  }
}
