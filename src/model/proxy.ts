// Who is connecting: an xDS node (id, metadata, locality) read with Istio's conventions into a Proxy with an IP mode.
// Node ids look like `sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`; metadata `INSTANCE_IPS` lists
// the IPs (first = pod IP), `NAMESPACE`, `NAME`, `LABELS`, `INTERCEPTION_MODE` (REDIRECT or TPROXY), and
// `GENERATOR: grpc` marks a proxyless gRPC client; `DNS_CAPTURE` and `DNS_AUTO_ALLOCATE` (also `ISTIO_META_`-prefixed)
// say the pod's agent answers its DNS, auto-allocated ServiceEntry VIPs included.
import { ipModeOf, parseAddress } from './address.ts';
import { locality } from './pods.ts';
import { asString, isRecord, problemAt, stringMap } from './json-readers.ts';
import type { Address, InterceptionMode, Locality, MeshModel, Origin, Pod, Problem, Proxy } from './types.ts';

/** The xDS node as a server receives it (metadata already converted from a protobuf Struct to plain JSON). */
export interface ProxyNode {
  readonly id: string;
  readonly metadata?: Readonly<Record<string, unknown>> | undefined;
  readonly locality?:
    | { readonly region?: string | undefined; readonly zone?: string | undefined; readonly sub_zone?: string | undefined }
    | undefined;
}

/** What `parseProxy` found: the proxy when it has at least one usable IP, and every problem. */
export interface ProxyResult {
  readonly proxy?: Proxy;
  readonly problems: Problem[];
}

/** The parts of an Istio-style node id: `<type>~<ip>~<pod>.<namespace>~<namespace>.svc.<domain>`. */
interface NodeIdParts {
  readonly type?: string;
  readonly ip?: string;
  readonly podDotNamespace?: string;
  readonly namespace?: string;
}

/**
 * Reads a node into a Proxy. When `model` knows the pod (namespace + name), its `podIPs`, labels and locality win
 * over what the node claims. A node with no usable IP (neither claimed nor known from its pod) gets no proxy and an
 * error: without an IP its family, wildcards and VIP filtering cannot be decided.
 */
export function parseProxy(node: ProxyNode, model?: MeshModel): ProxyResult {
  const problems: Problem[] = [];
  const origin: Origin = { source: 'proxy', object: `Proxy/${node.id}` };
  const metadata = isRecord(node.metadata) ? node.metadata : {};
  const parts = splitNodeId(node.id);
  const { namespace, pod: podName } = claimedWorkload(node);
  if (!asString(metadata['NAMESPACE']) && !parts.namespace) {
    problems.push(problemAt(origin, 'warning', 'metadata.NAMESPACE', 'no namespace in node id or metadata; using default'));
  }
  const pod = podName ? model?.pods.find((p) => p.namespace === namespace && p.name === podName) : undefined;
  const claimed = claimedIPs(metadata, parts, origin, problems);
  const ips = pod && pod.ips.length > 0 ? pod.ips : claimed;
  if (pod && pod.ips.length > 0 && claimed.length > 0 && !sameIPs(claimed, pod.ips)) {
    const list = (addresses: readonly Address[]): string => addresses.map((a) => a.ip).join(',');
    const message = `claims ${list(claimed)} but pod ${namespace}/${podName} has ${list(pod.ips)}; using podIPs`;
    problems.push(problemAt(origin, 'warning', 'metadata.INSTANCE_IPS', message));
  }
  const first = ips[0];
  if (!first) {
    problems.push(problemAt(origin, 'error', 'metadata.INSTANCE_IPS', 'the proxy has no usable IP address (node id or INSTANCE_IPS)'));
    return { problems };
  }
  const proxy: Proxy = {
    id: node.id,
    type: isProxyless(metadata, parts) ? 'proxyless' : 'sidecar',
    namespace,
    ...(podName ? { pod: podName } : {}),
    ips,
    mode: ipModeOf(ips),
    primaryFamily: first.family,
    interception: interceptionMode(metadata, origin, problems),
    dnsCapture: metadataFlag(metadata, 'DNS_CAPTURE'),
    dnsAutoAllocate: metadataFlag(metadata, 'DNS_AUTO_ALLOCATE'),
    ...(metadataFlag(metadata, 'SDS') ? { sds: true } : {}),
    labels: pod ? pod.labels : stringMap(metadata['LABELS']),
    locality: proxyLocality(node, pod),
    metadata,
  };
  return { proxy, problems };
}

/** Splits an Istio-style node id; ids of another shape yield no parts (metadata must then say everything). */
/**
 * The workload a node claims to be, as `parseProxy` reads it: its namespace (metadata `NAMESPACE`, else the node id's,
 * else `default`), every namespace it names anywhere (node id and metadata, for authorization), and its pod name.
 */
export function claimedWorkload(node: ProxyNode): { namespace: string; namespaces: string[]; pod?: string } {
  const metadata = isRecord(node.metadata) ? node.metadata : {};
  const parts = splitNodeId(node.id);
  const fromMetadata = asString(metadata['NAMESPACE']);
  const namespace = fromMetadata || parts.namespace || 'default';
  const namespaces = [...new Set([namespace, ...(parts.namespace ? [parts.namespace] : [])])];
  const pod = asString(metadata['NAME']) || podFromId(parts.podDotNamespace, namespace);
  return { namespace, namespaces, ...(pod ? { pod } : {}) };
}

function splitNodeId(id: string): NodeIdParts {
  const parts = id.split('~');
  if (parts.length !== 4) return {};
  const [type, ip, podDotNamespace, domain] = parts as [string, string, string, string];
  const namespace = domain.split('.')[0];
  return { type, ip, podDotNamespace, ...(namespace ? { namespace } : {}) };
}

/** The pod name of `<pod>.<namespace>` (the whole part when it does not end with the namespace). */
function podFromId(podDotNamespace: string | undefined, namespace: string): string | undefined {
  if (!podDotNamespace) return undefined;
  const suffix = `.${namespace}`;
  return podDotNamespace.endsWith(suffix) ? podDotNamespace.slice(0, -suffix.length) : podDotNamespace;
}

/** IPs from `INSTANCE_IPS` (comma-separated string or list), else from the node id; invalid entries warned about. */
function claimedIPs(
  metadata: Readonly<Record<string, unknown>>,
  parts: NodeIdParts,
  origin: Origin,
  problems: Problem[],
): Address[] {
  const raw = metadata['INSTANCE_IPS'];
  const fromId = parts.ip ? [parts.ip] : [];
  const texts = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw.map(String) : fromId;
  const field = raw === undefined ? 'id' : 'metadata.INSTANCE_IPS';
  const out: Address[] = [];
  for (const text of texts.map((t) => t.trim()).filter((t) => t !== '')) {
    const address = parseAddress(text);
    if (!address) problems.push(problemAt(origin, 'warning', field, `${JSON.stringify(text)} is not an IP address; ignored`));
    else if (!out.some((a) => a.ip === address.ip)) out.push(address);
  }
  return out;
}

/** Whether two address lists hold the same IPs in the same order. */
function sameIPs(a: readonly Address[], b: readonly Address[]): boolean {
  return a.length === b.length && a.every((x, i) => x.ip === b[i]?.ip);
}

/** Proxyless gRPC: metadata `GENERATOR: grpc`, or a node id whose type part starts with `grpc`. */
function isProxyless(metadata: Readonly<Record<string, unknown>>, parts: NodeIdParts): boolean {
  return metadata['GENERATOR'] === 'grpc' || (parts.type?.startsWith('grpc') ?? false);
}

/** A boolean node metadata key, as `KEY` or Istio's `ISTIO_META_KEY`: "true" or "1" (any case) is on. */
function metadataFlag(metadata: Readonly<Record<string, unknown>>, key: string): boolean {
  const on = (v: unknown): boolean => v === true || (typeof v === 'string' && ['true', '1'].includes(v.trim().toLowerCase()));
  return on(metadata[key]) || on(metadata[`ISTIO_META_${key}`]);
}

/** The node's own locality when it sends one, else its pod's. */
function proxyLocality(node: ProxyNode, pod: Pod | undefined): Locality {
  const own = locality(node.locality?.region, node.locality?.zone, node.locality?.sub_zone);
  return Object.keys(own).length > 0 || !pod ? own : pod.locality;
}

/**
 * `INTERCEPTION_MODE` as Istio spells it: REDIRECT (also when absent) or TPROXY. NONE (no capture, real listeners
 * per port) and anything else are not supported: warned about and served as REDIRECT.
 */
function interceptionMode(metadata: Readonly<Record<string, unknown>>, origin: Origin, problems: Problem[]): InterceptionMode {
  const raw = metadata['INTERCEPTION_MODE'];
  if (raw === 'TPROXY') return 'TPROXY';
  if (raw === undefined || raw === 'REDIRECT') return 'REDIRECT';
  problems.push(problemAt(origin, 'warning', 'metadata.INTERCEPTION_MODE', `${JSON.stringify(raw)} is not supported (REDIRECT or TPROXY); using REDIRECT`));
  return 'REDIRECT';
}
