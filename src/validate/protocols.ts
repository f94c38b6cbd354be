// The upstream HTTP protocol of passthrough clusters. An ORIGINAL_DST cluster that HTTP routes send requests to (the
// `allow_any` route to PassthroughCluster) speaks HTTP/1.1 upstream unless told otherwise, so an h2c or gRPC request
// to a host outside the mesh goes out as HTTP/1.1 and fails. It must keep the downstream protocol
// (`use_downstream_protocol_config`) or name one on purpose. Needs the route configurations and the clusters together.
import { asObj, isSet, resourceName, type Obj } from '../envoy-api/plain.ts';
import { discoveryType, routeClusterRefs } from '../envoy-api/references.ts';
import type { Report } from './problem.ts';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** Names of every cluster the routes of these route configurations send HTTP requests to. */
export function httpRoutedClusters(routes: readonly Obj[]): Set<string> {
  return new Set(routes.flatMap((r) => routeClusterRefs(r, '').map((ref) => ref.name)));
}

/** Whether an ORIGINAL_DST cluster would turn every HTTP request into HTTP/1.1 upstream (no protocol chosen at all). */
export function downgradesHttp(cluster: Obj): boolean {
  if (discoveryType(cluster) !== 'ORIGINAL_DST') return false;
  const options = asObj(asObj(cluster['typed_extension_protocol_options'])?.[HTTP_OPTIONS]);
  const chosen = ['use_downstream_protocol_config', 'explicit_http_config', 'auto_config'].some((f) => isSet(options?.[f]));
  const legacy = cluster['protocol_selection'] === 'USE_DOWNSTREAM_PROTOCOL' || cluster['protocol_selection'] === 1 || isSet(cluster['http2_protocol_options']);
  return !chosen && !legacy;
}

/** Reports each cluster of `clusters` that HTTP routes use and that would downgrade every request to HTTP/1.1. */
export function checkPassthroughProtocols(clusters: readonly Obj[], routed: ReadonlySet<string>, reportFor: (cluster: Obj) => Report): void {
  for (const cluster of clusters) {
    if (!routed.has(resourceName(cluster)) || !downgradesHttp(cluster)) continue;
    reportFor(cluster)('typed_extension_protocol_options', 'cluster.http_passthrough_protocol', `HTTP routes send requests to this ORIGINAL_DST cluster, which speaks HTTP/1.1 upstream whatever the client spoke (h2c and gRPC break); set ${HTTP_OPTIONS} with use_downstream_protocol_config`);
  }
}
