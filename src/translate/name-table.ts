// The name table of one proxy (Istio's NDS): every host a pod of the mesh may resolve through its DNS proxy, with the
// addresses this proxy can use, its primary family first. Pure: (model index, proxy) → NameTable.
// - Services with VIPs: their VIPs; headless Services: the addresses of their ready endpoints;
// - ServiceEntry hosts (wildcards excepted): their VIPs, explicit or auto-allocated;
// - filtered by the proxy's IP mode, so an IPv4-only pod is never told an IPv6 address, and the reverse.
// Short names (`svc`, `svc.ns`, `svc.ns.svc`) are not keys: `shortname` and `namespace` let the agent derive them for
// the pod's namespace, as Istio's agent does.
import type { Address, ModelIndex, Proxy, Service } from '../model/index.ts';
import { compareStrings } from '../compare-strings.ts';
import { proxyFamilies } from './proxy-addresses.ts';
import type { NameInfo, NameTable } from './nds.ts';

export { NAME_TABLE_TYPE_URL, decodeNameTable, encodeNameTable, nameTableType } from './nds.ts';
export type { NameInfo, NameTable } from './nds.ts';

/** The name table `proxy`'s agent answers from. Hosts sorted, so equal meshes give equal bytes. */
export function nameTable(index: ModelIndex, proxy: Pick<Proxy, 'mode' | 'primaryFamily'>): NameTable {
  const entries: [string, NameInfo][] = [];
  for (const service of index.servicesByHostname.values()) {
    if (service.hostname.startsWith('*')) continue;
    const ips = orderForProxy(hostAddresses(index, service), proxy).map((a) => a.ip);
    if (ips.length === 0) continue;
    entries.push([service.hostname.toLowerCase(), nameInfo(service, ips)]);
  }
  entries.sort(([a], [b]) => compareStrings(a, b));
  return { table: Object.fromEntries(entries) };
}

/** The addresses a host resolves to before filtering: VIPs, or the ready endpoints' addresses of a headless Service. */
function hostAddresses(index: ModelIndex, service: Service): readonly Address[] {
  if (service.vips.length > 0) return service.vips;
  if (service.kind !== 'Service' || !service.headless) return [];
  const seen = new Set<string>();
  const out: Address[] = [];
  for (const endpoint of index.endpointsByService.get(service.hostname) ?? []) {
    if (!endpoint.ready) continue;
    for (const address of endpoint.addresses) {
      if (!seen.has(address.ip)) out.push(address);
      seen.add(address.ip);
    }
  }
  return out;
}

/** Keeps the families the proxy uses, primary family first (stable within a family). */
function orderForProxy(addresses: readonly Address[], proxy: Pick<Proxy, 'mode' | 'primaryFamily'>): Address[] {
  return proxyFamilies(proxy).flatMap((family) => addresses.filter((a) => a.family === family));
}

function nameInfo(service: Service, ips: readonly string[]): NameInfo {
  if (service.kind === 'ServiceEntry') return { ips, registry: 'External' };
  return { ips, registry: 'Kubernetes', shortname: service.name, namespace: service.namespace };
}
