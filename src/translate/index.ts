// The translator's entry point: (mesh, proxy, options) → every Envoy resource that sidecar gets. Pure and
// deterministic: the same input gives the same output, each list sorted by name. There is one path: the per-service
// builders, assembled by `sidecar-assembly.ts`; a `TranslationCache` only memoises their results (a fresh one when
// the caller keeps none).
import { DEFAULT_ROOT_NAMESPACE, indexModel, type ModelIndex } from '../model/index.ts';
import type { MeshModel, Proxy } from '../model/index.ts';
import { assembleSidecar } from './sidecar-assembly.ts';
import { TranslationCache } from './translation-cache.ts';
import type { TranslateOptions, Translation } from './types.ts';

export type * from './types.ts';
export { sidecarReadKey } from './sidecar-assembly.ts';
export { meshLookup, type MeshLookup } from './service-plan.ts';
export { TranslationCache, type TranslationCacheStats } from './translation-cache.ts';

function isIndex(input: MeshModel | ModelIndex): input is ModelIndex {
  return 'endpointsByService' in input;
}

/**
 * Every listener, cluster, route configuration and load assignment of one Envoy sidecar, best effort: a service whose
 * translation fails is left out whole and reported in `problems` (see `sidecar-assembly.ts`), never thrown.
 */
export function translate(input: ModelIndex | MeshModel, proxy: Proxy, options: TranslateOptions = {}): Translation {
  const index = isIndex(input) ? input : indexModel(input);
  const strategy = options.strategy ?? 'shared';
  const rootNamespace = options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  return assembleSidecar(options.cache ?? new TranslationCache(), index, proxy, strategy, rootNamespace);
}
