// Schema check of one Kubernetes-shaped object before it enters a source: identity (kind, namespace, name), field
// types and IP literals. Errors mean the source must reject the object and keep its previous good version; warnings
// are kept alongside it.
import { checkEndpointSlice, checkNode, checkPod, checkService } from './check-kinds.ts';
import { checkServiceEntry } from './check-service-entry.ts';
import { checkPeerAuthentication } from './peer-auth.ts';
import { describe, fail, optString, stringMapField, warn } from './check-fields.ts';
import { MAX_SUBDOMAIN, checkAnnotations, checkLabels, dns1035Label, dns1123Label, dns1123Subdomain, quote } from './check-limits.ts';
import type { Sink } from './check-fields.ts';
import { isRecord, objectRef, problemAt } from './json-readers.ts';
import type { Raw } from './json-readers.ts';
import type { ObjectKey, ObjectKind, Origin, Problem } from './types.ts';

/** The apiVersions biplane accepts per kind. */
const API_VERSIONS: Readonly<Record<ObjectKind, readonly string[]>> = {
  Service: ['v1'],
  Pod: ['v1'],
  Node: ['v1'],
  Namespace: ['v1'],
  EndpointSlice: ['discovery.k8s.io/v1'],
  ServiceEntry: ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'],
  PeerAuthentication: ['security.istio.io/v1', 'security.istio.io/v1beta1'],
};

/** The per-kind checks run once identity is known. */
const KIND_CHECKS: Readonly<Record<ObjectKind, (raw: Raw, sink: Sink) => void>> = {
  Service: checkService,
  Pod: checkPod,
  Node: checkNode,
  Namespace: () => undefined,
  EndpointSlice: checkEndpointSlice,
  ServiceEntry: checkServiceEntry,
  PeerAuthentication: checkPeerAuthentication,
};

/** What the API server requires of each kind's name: Services DNS-1035 labels, Namespaces labels, the rest subdomains. */
const NAME_RULES: Readonly<Record<ObjectKind, (name: string) => string | undefined>> = {
  Service: dns1035Label,
  Namespace: dns1123Label,
  Pod: dns1123Subdomain,
  Node: dns1123Subdomain,
  EndpointSlice: dns1123Subdomain,
  ServiceEntry: dns1123Subdomain,
  PeerAuthentication: dns1123Subdomain,
};

/** Kinds without a namespace. */
const CLUSTER_SCOPED: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['Node', 'Namespace']);

/** What `checkObject` found: the object's key when it could be read, and every problem. */
export interface CheckResult {
  readonly key?: ObjectKey;
  readonly problems: Problem[];
}

/** Whether a check result rejects its object (it has an error). */
export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/**
 * Checks one raw object of a supported kind. The key is returned whenever kind and name can be read (even with
 * errors, so a source can keep the previous version under that key); a namespaced object without a namespace is
 * keyed under `default`, as `kubectl apply` would place it.
 */
export function checkObject(raw: unknown, origin: Origin): CheckResult {
  if (!isRecord(raw)) {
    return { problems: [problemAt(origin, 'error', undefined, `expected an object, got ${describe(raw)}`)] };
  }
  const problems: Problem[] = [];
  // A source labels the object before it is checked; an over-long name must not be repeated in every message.
  const base = origin.object !== undefined && origin.object.length > 2 * MAX_SUBDOMAIN ? { ...origin, object: quote(origin.object) } : origin;
  const identity = readIdentity(raw, { base, problems });
  if (!identity) return { problems };
  const { key } = identity;
  const sink: Sink = { base: { ...origin, object: objectRef(key) }, problems };
  // Problems found before the key was known get the object name too.
  for (let i = 0; i < problems.length; i++) {
    const p = problems[i];
    if (p) problems[i] = { ...p, origin: { ...p.origin, object: objectRef(key) } };
  }
  const metadata = raw['metadata'] as Raw;
  stringMapField(sink, metadata, 'labels', 'metadata');
  checkLabels(sink, metadata['labels'], 'metadata.labels');
  stringMapField(sink, metadata, 'annotations', 'metadata');
  checkAnnotations(sink, metadata);
  optString(sink, metadata, 'resourceVersion', 'metadata');
  KIND_CHECKS[key.kind](raw, sink);
  return { key, problems };
}

/** Reads apiVersion, kind and metadata name/namespace; undefined when the object cannot be keyed. */
function readIdentity(raw: Raw, sink: Sink): { key: ObjectKey } | undefined {
  const kindValue = raw['kind'];
  if (typeof kindValue !== 'string' || kindValue === '') {
    fail(sink, 'kind', kindValue === undefined ? 'is required' : `must be a string, got ${describe(kindValue)}`);
    return undefined;
  }
  if (!Object.hasOwn(API_VERSIONS, kindValue)) {
    const known = Object.keys(API_VERSIONS).join(', ');
    fail(sink, 'kind', `unsupported kind ${JSON.stringify(kindValue)} (biplane reads ${known})`);
    return undefined;
  }
  const kind = kindValue as ObjectKind;
  const metadata = raw['metadata'];
  if (!isRecord(metadata)) {
    fail(sink, 'metadata', metadata === undefined ? 'is required' : `must be an object, got ${describe(metadata)}`);
    return undefined;
  }
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') {
    fail(sink, 'metadata.name', name === undefined ? 'is required' : `must be a non-empty string, got ${describe(name)}`);
    return undefined;
  }
  const nameProblem = NAME_RULES[kind](name);
  if (nameProblem) fail(sink, 'metadata.name', nameProblem);
  const namespace = readNamespace(kind, metadata, sink);
  checkApiVersion(raw, kind, sink);
  // A name no object can have is no key a previous good version could be kept under.
  if (name.length > MAX_SUBDOMAIN || namespace.length > MAX_SUBDOMAIN) return undefined;
  return { key: { kind, namespace, name } };
}

/** The namespace for the key: '' for cluster-scoped kinds, `default` when a namespaced object names none. */
function readNamespace(kind: ObjectKind, metadata: Raw, sink: Sink): string {
  const namespace = metadata['namespace'];
  if (CLUSTER_SCOPED.has(kind)) {
    if (namespace !== undefined && namespace !== null && namespace !== '') {
      warn(sink, 'metadata.namespace', `${kind} is cluster-scoped; the namespace is ignored`);
    }
    return '';
  }
  if (namespace === undefined || namespace === null || namespace === '') return 'default';
  if (typeof namespace === 'string') {
    const why = dns1123Label(namespace);
    if (why) fail(sink, 'metadata.namespace', why);
    return namespace;
  }
  fail(sink, 'metadata.namespace', `must be a string, got ${describe(namespace)}`);
  return 'default';
}

/** An error unless `apiVersion` is one biplane reads for `kind`. */
function checkApiVersion(raw: Raw, kind: ObjectKind, sink: Sink): void {
  const apiVersion = raw['apiVersion'];
  const allowed = API_VERSIONS[kind];
  if (typeof apiVersion !== 'string') {
    fail(sink, 'apiVersion', apiVersion === undefined ? 'is required' : `must be a string, got ${describe(apiVersion)}`);
  } else if (!allowed.includes(apiVersion)) {
    fail(sink, 'apiVersion', `${JSON.stringify(apiVersion)} is not a version of ${kind} (expected ${allowed.join(' or ')})`);
  }
}
