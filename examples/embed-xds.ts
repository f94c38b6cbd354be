// Embedding biplane's xDS layer: one dual-stack cluster for node "sidecar-1", served over ADS on IPv4 and IPv6. It
// builds, checks and publishes the way `biplane serve` does: SnapshotBuilder → SnapshotCache → XdsServer.
import { pathToFileURL } from 'node:url';
import { SnapshotBuilder, SnapshotCache, TypeUrl, XdsServer } from '../src/xds/index.ts';

/** Starts an ADS server on `addresses` and gives node "sidecar-1" its snapshot; returns the server and bound addresses. */
export async function main(addresses: readonly string[] = ['127.0.0.1:18000', '[::1]:18000']) {
  const builder = new SnapshotBuilder();
  const cache = new SnapshotCache();
  const server = new XdsServer({ cache });
  const web = { socket_address: { address: '10.1.0.5', port_value: 8080 } };
  const web6 = { socket_address: { address: 'fd00:1::5', port_value: 8080 } };
  const snapshot = builder.snapshot([
    builder.resource(TypeUrl.Cluster, { name: 'web', type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }),
    builder.resource(TypeUrl.ClusterLoadAssignment, {
      cluster_name: 'web',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: web, additional_addresses: [{ address: web6 }] } }] }],
    }),
  ]);
  // publish runs consistent() first: a snapshot with a dangling EDS or RDS name is refused, not served.
  const problems = builder.publish(cache, 'sidecar-1', snapshot);
  if (problems.length > 0) throw new Error(problems.map((p) => `${p.resource}: ${p.message}`).join('\n'));
  const bound = await server.listen(addresses);
  return { server, bound };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { bound } = await main();
  console.log(`ADS serving node sidecar-1 on ${bound.join(' and ')}`);
}
