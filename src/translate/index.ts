// The translator's entry point: (mesh, proxy, options) → every Envoy resource that sidecar gets. Pure and
// deterministic: the same input gives the same output, each list sorted by name.
import { DEFAULT_ROOT_NAMESPACE, indexModel, type ModelIndex } from '../model/index.ts';
import type { MeshModel, Proxy } from '../model/index.ts';
import { fixedClusters, inboundClusters, outboundClusters } from './clusters.ts';
import { outboundEndpoints } from './endpoints.ts';
import { tcpListeners, wildcardListeners } from './listeners-outbound.ts';
import { byName, inboundPorts, virtualInboundListener, virtualOutboundListener } from './listeners-virtual.ts';
import { compareStrings as compare } from '../compare-strings.ts';
import { meshView, proxyInboundMtls, type MeshView } from './service-plan.ts';
import { mtlsAcceptance } from './mtls.ts';
import { translateCached } from './incremental.ts';
export { sidecarReadKey } from './incremental.ts';
import { outboundRoutes } from './routes.ts';
import type { EnvoyResources, TranslateOptions } from './types.ts';

export type * from './types.ts';
export { meshView, type MeshView } from './service-plan.ts';
export { TranslationCache, type TranslationCacheStats } from './translation-cache.ts';

function isIndex(input: MeshModel | ModelIndex): input is ModelIndex {
  return 'endpointsByService' in input;
}

/** Every listener, cluster, route configuration and load assignment of one Envoy sidecar. */
export function translate(input: ModelIndex | MeshModel, proxy: Proxy, options: TranslateOptions = {}): EnvoyResources {
  const index = isIndex(input) ? input : indexModel(input);
  const strategy = options.strategy ?? 'shared';
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  if (options.cache) return translateCached(options.cache, index, proxy, strategy, rootNamespace);
  const view: MeshView = meshView(index);
  const ports = inboundPorts(view, proxy);
  return {
    listeners: byName([
      ...tcpListeners(view, proxy, strategy),
      ...wildcardListeners(view, proxy, strategy),
      virtualOutboundListener(proxy),
      virtualInboundListener(proxy, ports, proxyInboundMtls(view, proxy, rootNamespace)),
    ]),
    clusters: byName([...outboundClusters(view, proxy, strategy), ...inboundClusters(ports, proxy), ...fixedClusters()]),
    routes: byName(outboundRoutes(view, proxy, strategy)),
    endpoints: outboundEndpoints(view, proxy, strategy, mtlsAcceptance(view.peerAuthentications, rootNamespace)).sort((a, b) => compare(a.cluster_name, b.cluster_name)),
  };
}
