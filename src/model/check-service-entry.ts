// Schema check of an Istio ServiceEntry: hosts, addresses (IPs or CIDRs), ports, resolution, location, endpoints.
import { parseAddress } from './address.ts';
import { parsePrefix } from './cidr.ts';
import { requireSpec } from './check-kinds.ts';
import {
  describe,
  eachRecord,
  fail,
  optEnum,
  optList,
  optRecord,
  optString,
  portField,
  stringMapField,
  warn,
} from './check-fields.ts';
import type { Sink } from './check-fields.ts';
import { MAX_SUBDOMAIN, checkLabels, hostName } from './check-limits.ts';
import { parseAutoAllocate } from './vip-alloc.ts';
import { AUTO_ALLOCATE_ANNOTATION } from './names.ts';
import { isPort, metadataOf, path, stringMap } from './json-readers.ts';
import type { Raw } from './json-readers.ts';

const RESOLUTIONS = ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] as const;
const LOCATIONS = ['MESH_EXTERNAL', 'MESH_INTERNAL'] as const;

/** Checks a ServiceEntry's spec and the biplane auto-allocation annotation. */
export function checkServiceEntry(raw: Raw, sink: Sink): void {
  const spec = requireSpec(raw, sink);
  if (!spec) return;
  const hosts = optList(sink, spec, 'hosts', 'spec');
  if (!hosts || hosts.length === 0) fail(sink, 'spec.hosts', 'needs at least one host');
  (hosts ?? []).forEach((host, i) => {
    if (typeof host !== 'string' || host === '') fail(sink, `spec.hosts[${i}]`, `must be a host name, got ${describe(host)}`);
    else if (hostName(host)) fail(sink, `spec.hosts[${i}]`, hostName(host) ?? '');
  });
  (optList(sink, spec, 'addresses', 'spec') ?? []).forEach((address, i) => {
    if (typeof address !== 'string' || !parsePrefix(address)) {
      fail(sink, `spec.addresses[${i}]`, `${describe(address)} is not an IP address or CIDR`);
    }
  });
  for (const { item, at } of eachRecord(sink, spec, 'ports', 'spec')) {
    portField(sink, item, 'number', at, true);
    optString(sink, item, 'name', at);
    optString(sink, item, 'protocol', at);
    portField(sink, item, 'targetPort', at, false);
  }
  const resolution = optEnum(sink, spec, 'resolution', 'spec', RESOLUTIONS);
  optEnum(sink, spec, 'location', 'spec', LOCATIONS);
  for (const { item, at } of eachRecord(sink, spec, 'endpoints', 'spec')) checkWorkloadEntry(item, at, resolution, sink);
  if (optRecord(sink, spec, 'workloadSelector', 'spec')) {
    warn(sink, 'spec.workloadSelector', 'is not supported by biplane and is ignored');
  }
  const allocate = stringMap(metadataOf(raw)['annotations'])[AUTO_ALLOCATE_ANNOTATION];
  if (allocate !== undefined && !parseAutoAllocate(allocate)) {
    const message = `${JSON.stringify(allocate)} is not IPv4, IPv6, "IPv4,IPv6" or none`;
    fail(sink, `metadata.annotations.${AUTO_ALLOCATE_ANNOTATION}`, message);
  }
}

/** One entry of `spec.endpoints` (a WorkloadEntry spec). */
function checkWorkloadEntry(entry: Raw, at: string, resolution: string | undefined, sink: Sink): void {
  const address = optString(sink, entry, 'address', at);
  if (address === undefined || address === '') {
    fail(sink, path(at, 'address'), 'is required');
  } else if (address.length > MAX_SUBDOMAIN && !address.startsWith('unix://')) {
    fail(sink, path(at, 'address'), `must be at most ${MAX_SUBDOMAIN} characters, got ${address.length}`);
  } else if (resolution === 'STATIC' && !address.startsWith('unix://') && !parseAddress(address)) {
    fail(sink, path(at, 'address'), `${JSON.stringify(address)} is not an IP address (resolution STATIC needs one)`);
  }
  const ports = optRecord(sink, entry, 'ports', at);
  for (const name of Object.keys(ports ?? {}).sort()) {
    const value = ports?.[name];
    if (!isPort(value)) fail(sink, path(path(at, 'ports'), name), `must be a port number 1..65535, got ${describe(value)}`);
  }
  stringMapField(sink, entry, 'labels', at);
  checkLabels(sink, entry['labels'], path(at, 'labels'));
  optString(sink, entry, 'locality', at);
  optString(sink, entry, 'network', at);
  const weight = entry['weight'];
  if (weight !== undefined && weight !== null && !(typeof weight === 'number' && Number.isInteger(weight) && weight >= 0)) {
    fail(sink, path(at, 'weight'), `must be a non-negative integer, got ${describe(weight)}`);
  }
}
