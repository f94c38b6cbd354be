// What the translator produces for one proxy, and the options that steer it.
import type { Problem } from '../model/index.ts';
import type { TranslationCache } from './translation-cache.ts';
import type { ClusterLoadAssignment, Cluster, Listener, RouteConfiguration } from './envoy-types.ts';

export type * from './envoy-types.ts';

/** Every resource one proxy gets, by xDS type, each list sorted by name. */
export interface EnvoyResources {
  readonly listeners: readonly Listener[];
  readonly clusters: readonly Cluster[];
  readonly routes: readonly RouteConfiguration[];
  readonly endpoints: readonly ClusterLoadAssignment[];
}

/**
 * What `translate` returns: every resource it could build and, beside them, the problems of the parts it left out
 * (a service whose translation failed, with the service's origin; a proxy's inbound side, at the proxy). Empty
 * `problems` means nothing was left out.
 */
export interface Translation extends EnvoyResources {
  readonly problems: readonly Problem[];
}

/**
 * How dual-stack services are forwarded: `shared` (default) = one listener/cluster/route per service port carrying both
 * families; `per-family` = Istio's original "native IP family forwarding", one of each per family.
 */
export type ForwardingStrategy = 'shared' | 'per-family';

/** Options of `translate`. */
export interface TranslateOptions {
  readonly strategy?: ForwardingStrategy;
  /** Where mesh-wide PeerAuthentications live (`istio-system` unless set, as in Istio). */
  readonly rootNamespace?: string;
  /** Per-service results reused across proxies and model generations; the output is the same with or without. */
  readonly cache?: TranslationCache;
}
