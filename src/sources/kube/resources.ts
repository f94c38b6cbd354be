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
  /** An Istio CRD: watched only while API discovery lists its group/version (`apiVersion`). */
  readonly crd?: true;
}

/** Every collection biplane reads; the Istio CRDs (ServiceEntry, PeerAuthentication) only while the cluster serves them. */
export const KUBE_RESOURCES: readonly KubeResource[] = [
  { kind: 'Namespace', apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  { kind: 'Node', apiVersion: 'v1', plural: 'nodes', namespaced: false },
  { kind: 'Service', apiVersion: 'v1', plural: 'services', namespaced: true },
  { kind: 'Pod', apiVersion: 'v1', plural: 'pods', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', plural: 'endpointslices', namespaced: true },
  { kind: 'ServiceEntry', apiVersion: 'networking.istio.io/v1', plural: 'serviceentries', namespaced: true, crd: true },
  { kind: 'PeerAuthentication', apiVersion: 'security.istio.io/v1', plural: 'peerauthentications', namespaced: true, crd: true },
];

/** How notes name a CRD's objects: `ServiceEntries`, `PeerAuthentications`. */
export function pluralKind(r: KubeResource): string {
  return r.kind.endsWith('y') ? `${r.kind.slice(0, -1)}ies` : `${r.kind}s`;
}


/** URL path of a collection, cluster-wide or in one namespace. */
export function collectionPath(r: KubeResource, namespace?: string): string {
  const prefix = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return namespace === undefined ? `${prefix}/${r.plural}` : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${r.plural}`;
}

/** One page of a list in wire form: the list's resourceVersion, its items as JSON objects, the next page's token. */
export interface RawList {
  readonly resourceVersion: string;
  readonly items: readonly Record<string, unknown>[];
  /** Token for the next page; '' or undefined on the last page. */
  readonly continue?: string | undefined;
}

/** Which page to ask for: at most `limit` items, after the page that returned `continueToken`. */
export interface PageRequest {
  readonly limit?: number | undefined;
  readonly continueToken?: string | undefined;
}

/** Lists one page of one collection (all namespaces when `namespace` is undefined). */
export type Lister = (namespace: string | undefined, page?: PageRequest) => Promise<RawList>;

interface TypedList {
  readonly metadata?: { readonly resourceVersion?: string | undefined; readonly _continue?: string | undefined } | undefined;
  readonly items: readonly unknown[];
}

// The typed APIs turn timestamps into Date objects; a JSON round trip gives the wire form back.
function wire(list: TypedList): RawList {
  const items = JSON.parse(JSON.stringify(list.items ?? [])) as Record<string, unknown>[];
  const raw = list.metadata as Record<string, unknown> | undefined;
  // Typed lists name the token `_continue`; custom objects come as plain JSON with `continue`.
  const token = raw?.['_continue'] ?? raw?.['continue'];
  return { resourceVersion: list.metadata?.resourceVersion ?? '', items, continue: typeof token === 'string' ? token : undefined };
}

/** A lister for `r` over `kc`, using the client's typed list calls (custom objects API for the Istio CRDs). */
export function makeLister(kc: KubeConfig, r: KubeResource): Lister {
  const core = (): CoreV1Api => kc.makeApiClient(CoreV1Api);
  const paging = (page: PageRequest | undefined): { limit?: number; _continue?: string } => ({
    ...(page?.limit ? { limit: page.limit } : {}),
    ...(page?.continueToken ? { _continue: page.continueToken } : {}),
  });
  switch (r.kind) {
    case 'Namespace': {
      const api = core();
      return async (_ns, page) => wire(await api.listNamespace(paging(page)));
    }
    case 'Node': {
      const api = core();
      return async (_ns, page) => wire(await api.listNode(paging(page)));
    }
    case 'Service': {
      const api = core();
      return async (namespace, page) =>
        wire(
          namespace === undefined
            ? await api.listServiceForAllNamespaces(paging(page))
            : await api.listNamespacedService({ namespace, ...paging(page) }),
        );
    }
    case 'Pod': {
      const api = core();
      return async (namespace, page) =>
        wire(
          namespace === undefined
            ? await api.listPodForAllNamespaces(paging(page))
            : await api.listNamespacedPod({ namespace, ...paging(page) }),
        );
    }
    case 'EndpointSlice': {
      const api = kc.makeApiClient(DiscoveryV1Api);
      return async (namespace, page) =>
        wire(
          namespace === undefined
            ? await api.listEndpointSliceForAllNamespaces(paging(page))
            : await api.listNamespacedEndpointSlice({ namespace, ...paging(page) }),
        );
    }
    case 'ServiceEntry':
    case 'PeerAuthentication': {
      const api = kc.makeApiClient(CustomObjectsApi);
      const [group = '', version = ''] = r.apiVersion.split('/');
      return async (namespace, page) =>
        wire(
          (namespace === undefined
            ? await api.listClusterCustomObject({ group, version, plural: r.plural, ...paging(page) })
            : await api.listNamespacedCustomObject({ group, version, namespace, plural: r.plural, ...paging(page) })) as TypedList,
        );
    }
  }
}

/** The API group of a resource ('' for the core group), as RBAC rules name it. */
export function apiGroup(r: KubeResource): string {
  return r.apiVersion.includes('/') ? (r.apiVersion.split('/')[0] ?? '') : '';
}
