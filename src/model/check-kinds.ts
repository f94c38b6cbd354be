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
import { MAX_SUBDOMAIN, checkLabels, dns1123Label, dns1123Subdomain, hostName } from './check-limits.ts';
import { parseAddress } from './address.ts';
import { FORWARDING_ANNOTATION, SERVICE_NAME_LABEL } from './names.ts';
import { asRecord, metadataOf, path, stringMap } from './json-readers.ts';
import type { Raw } from './json-readers.ts';
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
  if (type === 'ExternalName' && !spec['externalName']) {
    fail(sink, 'spec.externalName', 'is required for type ExternalName');
  }
  const externalName = type === 'ExternalName' ? optString(sink, spec, 'externalName', 'spec') : undefined;
  const externalProblem = externalName ? hostName(externalName) : undefined;
  if (externalProblem) fail(sink, 'spec.externalName', externalProblem);
  const clusterIP = optString(sink, spec, 'clusterIP', 'spec');
  const single = clusterIP !== undefined && clusterIP !== '' && clusterIP !== 'None' ? ipLiteral(sink, clusterIP, 'spec.clusterIP') : undefined;
  const clusterIPs = optList(sink, spec, 'clusterIPs', 'spec') ?? [];
  const vips = clusterIPs.map((ip, i) => (ip === 'None' && i === 0 && clusterIPs.length === 1 ? undefined : ipLiteral(sink, ip, `spec.clusterIPs[${i}]`)));
  if (clusterIPs.length > 2) fail(sink, 'spec.clusterIPs', `at most two addresses, got ${clusterIPs.length}`);
  if (clusterIP && typeof clusterIPs[0] === 'string' && clusterIPs[0] !== clusterIP) {
    fail(sink, 'spec.clusterIPs[0]', `must equal spec.clusterIP ${JSON.stringify(clusterIP)}`);
  }
  const families = checkFamilies(spec, sink);
  checkVipFamilies(sink, clusterIPs.length > 0 ? vips : [single], clusterIPs.length > 0 ? 'spec.clusterIPs' : 'spec.clusterIP', families);
  const policy = optEnum(sink, spec, 'ipFamilyPolicy', 'spec', POLICIES);
  if (policy === 'SingleStack' && families.length > 1) fail(sink, 'spec.ipFamilyPolicy', `SingleStack allows one IP family, spec.ipFamilies lists ${families.length}`);
  stringMapField(sink, spec, 'selector', 'spec');
  checkLabels(sink, spec['selector'], 'spec.selector');
  for (const { item, at } of eachRecord(sink, spec, 'ports', 'spec')) checkServicePort(item, at, sink);
  const forwarding = stringMap(metadataOf(raw)['annotations'])[FORWARDING_ANNOTATION];
  if (forwarding !== undefined && forwarding !== 'native' && forwarding !== 'shared') {
    warn(sink, `metadata.annotations.${FORWARDING_ANNOTATION}`, `unknown value ${JSON.stringify(forwarding)}; using shared`);
  }
}

/**
 * The VIPs against `spec.ipFamilies`, as the API server matches them: one family per VIP in the same order, and at
 * most one VIP of each family. `vips` holds the parsed addresses (undefined where one did not parse, or `None`).
 */
function checkVipFamilies(sink: Sink, vips: readonly (Address | undefined)[], at: string, families: readonly IPFamily[]): void {
  const parsed = vips.filter((v): v is Address => v !== undefined);
  if (parsed.length === 0) return;
  const field = (i: number): string => (at === 'spec.clusterIP' ? at : `${at}[${i}]`);
  const seen = new Map<IPFamily, string>();
  vips.forEach((vip, i) => {
    if (!vip) return;
    const earlier = seen.get(vip.family);
    if (earlier !== undefined) fail(sink, field(i), `a second ${vip.family} address (the service already has ${earlier}); at most one per family`);
    seen.set(vip.family, vip.ip);
    const family = families[i];
    if (family !== undefined && family !== vip.family) fail(sink, field(i), `${vip.ip} is ${vip.family} but spec.ipFamilies[${i}] is ${family}`);
  });
  if (families.length > 0 && at === 'spec.clusterIPs' && families.length !== vips.length) {
    fail(sink, 'spec.ipFamilies', `lists ${families.length} families for ${vips.length} cluster IPs; each cluster IP needs its family, in order`);
  }
}

/** `spec.ipFamilies`: known values, no family twice; returns the valid ones in order. */
function checkFamilies(spec: Raw, sink: Sink): IPFamily[] {
  const families = optList(sink, spec, 'ipFamilies', 'spec') ?? [];
  const out: IPFamily[] = [];
  const seen = new Set<unknown>();
  families.forEach((family, i) => {
    const at = `spec.ipFamilies[${i}]`;
    if (typeof family !== 'string' || !FAMILIES.includes(family as IPFamily)) {
      fail(sink, at, `unknown IP family ${describe(family)} (expected IPv4 or IPv6)`);
    } else if (seen.has(family)) {
      fail(sink, at, `${family} is listed twice`);
    } else {
      out.push(family as IPFamily);
    }
    seen.add(family);
  });
  return out;
}

/** One entry of `spec.ports`. */
function checkServicePort(port: Raw, at: string, sink: Sink): void {
  portField(sink, port, 'port', at, true);
  portName(sink, port, at);
  optEnum(sink, port, 'protocol', at, L4_PROTOCOLS);
  appProtocol(sink, port, at);
  const target = port['targetPort'];
  if (typeof target === 'string' && target !== '') {
    const why = target.length > MAX_PORT_NAME ? `a port name is at most ${MAX_PORT_NAME} characters, got ${target.length}` : dns1123Label(target);
    if (why) fail(sink, path(at, 'targetPort'), why);
    return;
  }
  if (target === undefined || target === null) return;
  portField(sink, port, 'targetPort', at, false);
}

/** The longest container port name a Service's `targetPort` can name (IANA service names). */
const MAX_PORT_NAME = 15;

/** A port's optional `name`: a DNS label. */
function portName(sink: Sink, port: Raw, at: string): void {
  const name = optString(sink, port, 'name', at);
  const why = name ? dns1123Label(name) : undefined;
  if (why) fail(sink, path(at, 'name'), why);
}

/** A port's optional `appProtocol`: a qualified name, at most a subdomain's length. */
function appProtocol(sink: Sink, port: Raw, at: string): void {
  const value = optString(sink, port, 'appProtocol', at);
  if (value !== undefined && value.length > MAX_SUBDOMAIN) fail(sink, path(at, 'appProtocol'), `must be at most ${MAX_SUBDOMAIN} characters, got ${value.length}`);
}

/** The API server's caps on one EndpointSlice. */
const MAX_SLICE_ENDPOINTS = 1000;
const MAX_SLICE_PORTS = 100;

/** Checks an EndpointSlice: address type, endpoints (addresses of that type, conditions, targetRef) and ports. */
export function checkEndpointSlice(raw: Raw, sink: Sink): void {
  if (stringMap(metadataOf(raw)['labels'])[SERVICE_NAME_LABEL] === undefined) {
    warn(sink, `metadata.labels.${SERVICE_NAME_LABEL}`, 'is missing; the slice belongs to no service');
  }
  const addressType = raw['addressType'];
  if (addressType === undefined) fail(sink, 'addressType', 'is required');
  const type = optEnum(sink, raw, 'addressType', '', ADDRESS_TYPES);
  const endpoints = eachRecord(sink, raw, 'endpoints', '');
  if (endpoints.length > MAX_SLICE_ENDPOINTS) fail(sink, 'endpoints', `at most ${MAX_SLICE_ENDPOINTS} endpoints per slice, got ${endpoints.length}`);
  else for (const { item, at } of endpoints) checkSliceEndpoint(item, at, type, sink);
  const ports = eachRecord(sink, raw, 'ports', '');
  if (ports.length > MAX_SLICE_PORTS) fail(sink, 'ports', `at most ${MAX_SLICE_PORTS} ports per slice, got ${ports.length}`);
  else for (const { item, at } of ports) {
    portName(sink, item, at);
    portField(sink, item, 'port', at, false);
    optEnum(sink, item, 'protocol', at, L4_PROTOCOLS);
    appProtocol(sink, item, at);
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
  for (const [name, rule] of [['nodeName', dns1123Subdomain], ['zone', zoneName], ['hostname', dns1123Label]] as const) {
    const value = optString(sink, endpoint, name, at);
    const why = value ? rule(value) : undefined;
    if (why) fail(sink, path(at, name), why);
  }
}

/** A zone is a label value in Kubernetes; only its length matters to biplane. */
function zoneName(value: string): string | undefined {
  return value.length > MAX_SUBDOMAIN ? `must be at most ${MAX_SUBDOMAIN} characters, got ${value.length}` : undefined;
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
