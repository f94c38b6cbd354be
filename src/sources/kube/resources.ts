// The collections the kube source watches, where they live, and how each is listed through client-node's typed APIs.
import type { ObjectKind } from '../../model/types.ts';
import { CoreV1Api, CustomObjectsApi, DiscoveryV1Api, type KubeConfig } from './client.ts';

/** A watched collection. */
export interface KubeResource {
  readonly kind: ObjectKind;
  /** `v1` for the core group, `<group>/<version>` otherwise. */
  readonly apiVersion: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** Every collection biplane reads; ServiceEntries only when the cluster serves networking.istio.io/v1. */
export const KUBE_RESOURCES: readonly KubeResource[] = [
  { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  { kind: 'Node', apiVersion: 'v1', plural: 'nodes', namespaced: false },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true },
  { kind: 'Pod', apiVersion: 'v1', plural: 'pods', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  { kind: 'ServiceEntry', apiVersion: 'networking.istio.io/v1', plural: 'serviceentries', namespaced: true },
];

/** The group/version ServiceEntries are served at, as discovery names it. */
export const SERVICE_ENTRY_GROUP_VERSION = 'networking.istio.io/v1';

/** URL path of a collection, cluster-wide or in one namespace. */
export function collectionPath(r: KubeResource, namespace?: string): string {
  const prefix = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return namespace === undefined ? `${prefix}/${r.plural}` : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
}

/** One list answer in wire form: the list's resourceVersion and its items as JSON objects. */
export interface RawList {
  readonly resourceVersion: string;
  readonly items: readonly Record<string, unknown>[];
}

/** Lists one collection (all namespaces when `namespace` is undefined). */
export type Lister = (namespace: string | undefined) => Promise<RawList>;

interface TypedList {
  readonly metadata?: { readonly resourceVersion?: string | undefined } | undefined;
  readonly items: readonly unknown[];
}

// The typed APIs turn timestamps into Date objects; a JSON round trip gives the wire form back.
function wire(list: TypedList): RawList {
  const items = JSON.parse(JSON.stringify(list.items ?? [])) as Record<string, unknown>[];
  return { resourceVersion: list.metadata?.resourceVersion ?? '', items };
}

/** A lister for `r` over `kc`, using the client's typed list calls (custom objects API for ServiceEntries). */
export function makeLister(kc: KubeConfig, r: KubeResource): Lister {
  const core = (): CoreV1Api => kc.makeApiClient(CoreV1Api);
  switch (r.kind) {
    case 'Namespace': {
      const api = core();
      return async () => wire(await api.listNamespace({}));
    }
    case 'Node': {
      const api = core();
      return async () => wire(await api.listNode({}));
    }
    case 'Service': {
      const api = core();
      return async (namespace) =>
        wire(namespace === undefined ? await api.listServiceForAllNamespaces({}) : await api.listNamespacedService({ namespace }));
    }
    case 'Pod': {
      const api = core();
      return async (namespace) =>
        wire(namespace === undefined ? await api.listPodForAllNamespaces({}) : await api.listNamespacedPod({ namespace }));
    }
    case 'EndpointSlice': {
      const api = kc.makeApiClient(DiscoveryV1Api);
      return async (namespace) =>
        wire(
          namespace === undefined
            ? await api.listEndpointSliceForAllNamespaces({})
            : await api.listNamespacedEndpointSlice({ namespace }),
        );
    }
    case 'ServiceEntry': {
      const api = kc.makeApiClient(CustomObjectsApi);
      const [group = '', version = ''] = r.apiVersion.split('/');
      return async (namespace) =>
        wire(
          (namespace === undefined
            ? await api.listClusterCustomObject({ group, version, plural: r.plural })
            : await api.listNamespacedCustomObject({ group, version, namespace, plural: r.plural })) as TypedList,
        );
    }
  }
}
