// What the fake API server says on the wire besides objects: the served collections, discovery, a kubeconfig for it,
// and the Kubernetes `Status` bodies it answers failures with, shaped as kube-apiserver shapes them (reason, message,
// details, code).

type Json = Record<string, unknown>;

/** A served collection: where it lives and what its objects are. */
export interface FakeResource {
  readonly kind: string;
  readonly apiVersion: string;
  /** `/api/v1` or `/apis/<group>/<version>`. */
  readonly prefix: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The collections the fake serves (ServiceEntries and PeerAuthentications only while their CRDs are installed). */
export const FAKE_RESOURCES: readonly FakeResource[] = [
  { kind: 'Service', apiVersion: 'v1', prefix: '/api/v1', plural: 'services', namespaced: true },
  { kind: 'Pod', apiVersion: 'v1', prefix: '/api/v1', plural: 'pods', namespaced: true },
  { kind: 'Node', apiVersion: 'v1', prefix: '/api/v1', plural: 'nodes', namespaced: false },
  { kind: 'Namespace', apiVersion: 'v1', prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    prefix: '/apis/discovery.k8s.io/v1',
    plural: 'endpointslices',
    namespaced: true,
  },
  {
    kind: 'ServiceEntry',
    apiVersion: 'networking.istio.io/v1',
    prefix: '/apis/networking.istio.io/v1',
    plural: 'serviceentries',
    namespaced: true,
  },
  {
    kind: 'PeerAuthentication',
    apiVersion: 'security.istio.io/v1',
    prefix: '/apis/security.istio.io/v1',
    plural: 'peerauthentications',
    namespaced: true,
  },
];

/** The user the fake says a request came from (the token in its kubeconfig). */
export const FAKE_USER = 'system:serviceaccount:mesh:biplane';

function base(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** A failure of the given code with a generic message (500 and other codes without a shape of their own). */
export function status(code: number, reason: string): Json {
  const message = code === 410 ? 'too old resource version' : `fake failure ${code}`;
  return base(code, reason, message);
}

/** 410 for a continue token past its lifetime; kube-apiserver also offers an inconsistent token to go on with. */
export function continueExpired(inconsistentToken: string): Json {
  const message =
    'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';
  return { ...base(410, 'Expired', message), metadata: { continue: inconsistentToken } };
}

/** 429 with the delay the client should wait (also sent as the Retry-After header). */
export function tooManyRequests(retryAfterSeconds: number): Json {
  return base(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds });
}

/** 401 for credentials the server does not accept. */
export function unauthorized(): Json {
  return base(401, 'Unauthorized', 'Unauthorized');
}

/** 403 naming the user, verb, resource, group and scope, as the RBAC authorizer words it. */
export function forbidden(verb: string, resource: FakeResource, namespace: string | undefined): Json {
  const group = resource.apiVersion.includes('/') ? resource.apiVersion.split('/')[0] : '';
  const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const message = `${resource.plural} is forbidden: User "${FAKE_USER}" cannot ${verb} resource "${resource.plural}" in API group "${group}" ${scope}`;
  return base(403, 'Forbidden', message, { group, kind: resource.plural });
}

/** 403 for a non-resource URL such as `/apis`, as the RBAC authorizer words it. */
export function forbiddenPath(path: string): Json {
  return base(403, 'Forbidden', `forbidden: User "${FAKE_USER}" cannot get path "${path}"`, {});
}

/** 504 for a resourceVersion ahead of what the server has (a lagging or restored server). */
export function tooLargeResourceVersion(asked: number, current: number): Json {
  const causes = [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }];
  return base(504, 'Timeout', `Timeout: Too large resource version: ${asked}, current: ${current}`, { causes, retryAfterSeconds: 1 });
}

/** `Kind/` or `Kind/namespace/`: the start of the fake's keys for one collection. */
export function keyPrefix(kind: string, namespace: string | undefined): string {
  return namespace === undefined ? `${kind}/` : `${kind}/${namespace}/`;
}

/** Kind, namespace ('' when cluster-scoped) and name of an object handed to the fake. */
export function identity(object: Json): { kind: string; namespace: string; name: string } {
  const kind = object['kind'];
  const meta = object['metadata'] as Json | undefined;
  const name = meta?.['name'];
  if (typeof kind !== 'string' || typeof name !== 'string') throw new Error('fake object needs kind and metadata.name');
  const resource = FAKE_RESOURCES.find((r) => r.kind === kind);
  if (!resource) throw new Error(`fake server does not serve kind ${kind}`);
  const namespace = resource.namespaced ? String(meta?.['namespace'] ?? 'default') : '';
  return { kind, namespace, name };
}

/** The APIGroupList `/apis` answers; the Istio groups only while their CRDs are installed. */
export function apiGroups(serviceEntryCrd: boolean, peerAuthenticationCrd = false): Json {
  const group = (name: string, version: string): Json => {
    const gv = { groupVersion: `${name}/${version}`, version };
    return { name, versions: [gv], preferredVersion: gv };
  };
  const groups = [group('apiextensions.k8s.io', 'v1'), group('discovery.k8s.io', 'v1')];
  if (serviceEntryCrd) groups.push(group('networking.istio.io', 'v1'));
  if (peerAuthenticationCrd) groups.push(group('security.istio.io', 'v1'));
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** A kubeconfig (YAML) whose current context points at `server` with the token the fake accepts. */
export function kubeconfigFor(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: tester',
    '  user:',
    '    token: fake-token',
    'contexts:',
    '- name: fake',
    '  context:',
    '    cluster: fake',
    '    user: tester',
    'current-context: fake',
    '',
  ].join('\n');
}
