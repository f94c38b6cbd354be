// Schema checks of the core Kubernetes kinds biplane reads: Service, EndpointSlice, Pod and Node.
import {
  eachRecord,
  fail,
  ipLiteral,
  optBool,
  optEnum,
  optList,
  optRecord,
  optString,
  portField,
  stringMapField,
  warn,
  describe,
} from './check-fields.ts';
import type { Sink } from './check-fields.ts';
import { parseAddress } from './address.ts';
import { FORWARDING_ANNOTATION, SERVICE_NAME_LABEL } from './names.ts';
import { asRecord, metadataOf, path, stringMap } from './raw.ts';
import type { Raw } from './raw.ts';
import type { Address, IPFamily } from './types.ts';

const FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];
const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
const POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'] as const;
const L4_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const ADDRESS_TYPES = ['IPv4', 'IPv6', 'FQDN'] as const;

/** Checks a Service's spec: type, cluster IPs, families, policy, ports, selector. */
export function checkService(raw: Raw, sink: Sink): void {
  const spec = requireSpec(raw, sink);
  if (!spec) return;
  const type = optEnum(sink, spec, 'type', 'spec', SERVICE_TYPES);
  if (type === 'ExternalName' && !optString(sink, spec, 'externalName', 'spec')) {
    fail(sink, 'spec.externalName', 'is required for type ExternalName');
  }
  const clusterIP = optString(sink, spec, 'clusterIP', 'spec');
  if (clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None') ipLiteral(sink, clusterIP, 'spec.clusterIP');
  const clusterIPs = optList(sink, spec, 'clusterIPs', 'spec') ?? [];
  clusterIPs.forEach((ip, i) => {
    if (ip === 'None' && i === 0 && clusterIPs.length === 1) return;
    ipLiteral(sink, ip, `spec.clusterIPs[${i}]`);
  });
  if (clusterIPs.length > 2) fail(sink, 'spec.clusterIPs', `at most two addresses, got ${clusterIPs.length}`);
  if (clusterIP && typeof clusterIPs[0] === 'string' && clusterIPs[0] !== clusterIP) {
    fail(sink, 'spec.clusterIPs[0]', `must equal spec.clusterIP ${JSON.stringify(clusterIP)}`);
  }
  checkFamilies(spec, sink);
  optEnum(sink, spec, 'ipFamilyPolicy', 'spec', POLICIES);
  stringMapField(sink, spec, 'selector', 'spec');
  for (const { item, at } of eachRecord(sink, spec, 'ports', 'spec')) checkServicePort(item, at, sink);
  const forwarding = stringMap(metadataOf(raw)['annotations'])[FORWARDING_ANNOTATION];
  if (forwarding !== undefined && forwarding !== 'native' && forwarding !== 'shared') {
    warn(sink, `metadata.annotations.${FORWARDING_ANNOTATION}`, `unknown value ${JSON.stringify(forwarding)}; using shared`);
  }
}

/** `spec.ipFamilies`: known values, no family twice. */
function checkFamilies(spec: Raw, sink: Sink): void {
  const families = optList(sink, spec, 'ipFamilies', 'spec') ?? [];
  const seen = new Set<unknown>();
  families.forEach((family, i) => {
    const at = `spec.ipFamilies[${i}]`;
    if (typeof family !== 'string' || !FAMILIES.includes(family as IPFamily)) {
      fail(sink, at, `unknown IP family ${describe(family)} (expected IPv4 or IPv6)`);
    } else if (seen.has(family)) {
      fail(sink, at, `${family} is listed twice`);
    }
    seen.add(family);
  });
}

/** One entry of `spec.ports`. */
function checkServicePort(port: Raw, at: string, sink: Sink): void {
  portField(sink, port, 'port', at, true);
  optString(sink, port, 'name', at);
  optEnum(sink, port, 'protocol', at, L4_PROTOCOLS);
  optString(sink, port, 'appProtocol', at);
  const target = port['targetPort'];
  if (target === undefined || target === null || (typeof target === 'string' && target !== '')) return;
  portField(sink, port, 'targetPort', at, false);
}

/** Checks an EndpointSlice: address type, endpoints (addresses of that type, conditions, targetRef) and ports. */
export function checkEndpointSlice(raw: Raw, sink: Sink): void {
  if (stringMap(metadataOf(raw)['labels'])[SERVICE_NAME_LABEL] === undefined) {
    warn(sink, `metadata.labels.${SERVICE_NAME_LABEL}`, 'is missing; the slice belongs to no service');
  }
  const addressType = raw['addressType'];
  if (addressType === undefined) fail(sink, 'addressType', 'is required');
  const type = optEnum(sink, raw, 'addressType', '', ADDRESS_TYPES);
  for (const { item, at } of eachRecord(sink, raw, 'endpoints', '')) checkSliceEndpoint(item, at, type, sink);
  for (const { item, at } of eachRecord(sink, raw, 'ports', '')) {
    optString(sink, item, 'name', at);
    portField(sink, item, 'port', at, false);
    optEnum(sink, item, 'protocol', at, L4_PROTOCOLS);
    optString(sink, item, 'appProtocol', at);
  }
}

/** One entry of an EndpointSlice's `endpoints`. */
function checkSliceEndpoint(endpoint: Raw, at: string, type: string | undefined, sink: Sink): void {
  const addresses = optList(sink, endpoint, 'addresses', at);
  if (!addresses || addresses.length === 0) fail(sink, path(at, 'addresses'), 'needs at least one address');
  (addresses ?? []).forEach((address, i) => {
    const field = `${path(at, 'addresses')}[${i}]`;
    if (type === 'IPv4' || type === 'IPv6') ipLiteral(sink, address, field, type);
    else if (typeof address !== 'string' || address === '') fail(sink, field, `must be a name, got ${describe(address)}`);
  });
  const conditions = optRecord(sink, endpoint, 'conditions', at);
  if (conditions) {
    for (const name of ['ready', 'serving', 'terminating']) optBool(sink, conditions, name, path(at, 'conditions'));
  }
  const targetRef = optRecord(sink, endpoint, 'targetRef', at);
  if (targetRef) {
    for (const name of ['kind', 'name', 'namespace']) optString(sink, targetRef, name, path(at, 'targetRef'));
  }
  optString(sink, endpoint, 'nodeName', at);
  optString(sink, endpoint, 'zone', at);
  optString(sink, endpoint, 'hostname', at);
}

/** Checks a Pod's node name and IPs: `status.podIP`, `status.podIPs` (one per family, first equal to podIP). */
export function checkPod(raw: Raw, sink: Sink): void {
  const spec = asRecord(raw['spec']);
  if (spec) optString(sink, spec, 'nodeName', 'spec');
  const status = optRecord(sink, raw, 'status', '');
  if (!status) return;
  const podIP = optString(sink, status, 'podIP', 'status');
  if (podIP !== undefined && podIP !== '') ipLiteral(sink, podIP, 'status.podIP');
  const seen = new Map<IPFamily, string>();
  let first: Address | undefined;
  for (const { item, at } of eachRecord(sink, status, 'podIPs', 'status')) {
    const address = ipLiteral(sink, item['ip'], path(at, 'ip'));
    if (!address) continue;
    first ??= address;
    const earlier = seen.get(address.family);
    if (earlier) fail(sink, path(at, 'ip'), `a second ${address.family} address (the pod already has ${earlier})`);
    seen.set(address.family, address.ip);
  }
  if (first && podIP && parseAddress(podIP) && parseAddress(podIP)?.ip !== first.ip) {
    warn(sink, 'status.podIPs[0].ip', `differs from status.podIP ${podIP}; podIPs wins`);
  }
}

/** Checks a Node's `status.addresses`: InternalIP and ExternalIP entries must be IP literals. */
export function checkNode(raw: Raw, sink: Sink): void {
  const status = optRecord(sink, raw, 'status', '');
  if (!status) return;
  for (const { item, at } of eachRecord(sink, status, 'addresses', 'status')) {
    const type = optString(sink, item, 'type', at);
    if (type === 'InternalIP' || type === 'ExternalIP') ipLiteral(sink, item['address'], path(at, 'address'));
    else optString(sink, item, 'address', at);
  }
}

/** The spec object; an error when it is missing or not an object. */
export function requireSpec(raw: Raw, sink: Sink): Raw | undefined {
  if (raw['spec'] === undefined || raw['spec'] === null) {
    fail(sink, 'spec', 'is required');
    return undefined;
  }
  return optRecord(sink, raw, 'spec', '');
}
