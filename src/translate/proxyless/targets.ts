// Which service port a client target names. A proxyless client dials `xds:///<authority>` and asks for the LDS
// resource named exactly `<authority>`; biplane answers every spelling a Kubernetes client may use (FQDN,
// `name.ns.svc`, `name.ns`, `name` in its own namespace) and every VIP the proxy can reach, IPv6 bracketed.
import { hostPort, parseAddress } from '../../model/address.ts';
import type { ModelIndex } from '../../model/model-index.ts';
import { serviceHostname } from '../../model/names.ts';
import type { Proxy, Service, ServicePort } from '../../model/types.ts';
import { compareStrings as compare } from '../../compare-strings.ts';
import { forwardedPorts, vipsForProxy, type MeshLookup } from '../service-plan.ts';
import { splitHostPort } from '../../model/index.ts';

/** How a proxyless client finds a service's backends: endpoints over EDS, or one DNS name (LOGICAL_DNS). */
export type ProxylessUpstream = 'EDS' | 'LOGICAL_DNS';

/** A service port a client target resolves to. */
export interface ClientTarget {
  readonly service: Service;
  readonly port: ServicePort;
}

/**
 * How proxyless gRPC reaches a service, or undefined when it cannot: ExternalName and DNS ServiceEntries resolve one
 * name; Services (headless too: gRPC balances over the pods itself) and STATIC ServiceEntries use EDS; resolution NONE
 * and wildcard hosts have no backends to name.
 */
export function proxylessUpstream(service: Service): ProxylessUpstream | undefined {
  if (service.hostname.includes('*')) return undefined;
  if (service.externalName !== undefined || service.resolution === 'DNS') return 'LOGICAL_DNS';
  return service.resolution === 'NONE' ? undefined : 'EDS';
}

/** The ports of a service a proxyless client may dial (everything but UDP), or none when it has no upstream. */
export function clientPorts(service: Service): ServicePort[] {
  return proxylessUpstream(service) ? forwardedPorts(service) : [];
}

/** The hostnames a proxy may dial a service by: FQDN, and for Kubernetes Services the short forms. */
export function hostForms(service: Service, proxy: Pick<Proxy, 'namespace'>): string[] {
  if (service.kind !== 'Service') return [service.hostname];
  const forms = [service.hostname, `${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`];
  if (service.namespace === proxy.namespace) forms.push(service.name);
  return forms;
}

/** Every authority (`host:port`) a proxy may dial one service port by: host forms, then reachable VIPs. */
export function authoritiesOf(service: Service, port: number, proxy: Proxy): string[] {
  const hosts = hostForms(service, proxy).map((h) => `${h}:${port}`);
  return [...hosts, ...vipsForProxy(service, proxy).map((v) => hostPort(v, port))];
}

/** The service a DNS host names for this proxy: an exact hostname first, then the Kubernetes short forms. */
function serviceByHost(index: ModelIndex, proxy: Proxy, host: string): Service | undefined {
  const exact = index.servicesByHostname.get(host);
  if (exact) return exact;
  const [name = '', namespace = proxy.namespace, svc = 'svc', ...rest] = host.split('.');
  if (svc !== 'svc' || rest.length > 0 || name === '' || namespace === '') return undefined;
  const short = index.servicesByHostname.get(serviceHostname(namespace, name));
  return short?.kind === 'Service' ? short : undefined;
}

/** The service owning a VIP this proxy can reach (IP literal in canonical spelling only). */
function serviceByVip(index: ModelIndex, proxy: Proxy, host: string): Service | undefined {
  const address = parseAddress(host);
  if (!address || address.ip !== host) return undefined;
  const owner = index.vipsByFamily.get(address.family)?.find((v) => v.address.ip === address.ip)?.service;
  return owner && vipsForProxy(owner, proxy).some((v) => v.ip === address.ip) ? owner : undefined;
}

/**
 * The service port a client listener name resolves to, or undefined. The name must be one `authoritiesOf` lists for
 * that service (so the lister and this lookup always agree): exact spelling, IPv6 bracketed and canonical.
 */
export function resolveClientTarget(index: ModelIndex, proxy: Proxy, name: string): ClientTarget | undefined {
  const split = splitHostPort(name);
  if (!split) return undefined;
  const service = parseAddress(split.host) ? serviceByVip(index, proxy, split.host) : serviceByHost(index, proxy, split.host);
  const port = service ? clientPorts(service).find((p) => p.port === split.port) : undefined;
  if (!service || !port || !authoritiesOf(service, port.port, proxy).includes(name)) return undefined;
  return { service, port };
}

/**
 * Every client listener name of a proxy with the target it resolves to, sorted by name. A name two services could
 * claim goes to the one `resolveClientTarget` picks, so listing and lookup never disagree.
 */
export function clientTargets(index: ModelIndex, mesh: MeshLookup, proxy: Proxy): [string, ClientTarget][] {
  const out = new Map<string, ClientTarget>();
  for (const service of mesh.services) {
    for (const port of clientPorts(service)) {
      for (const name of authoritiesOf(service, port.port, proxy)) {
        if (out.has(name)) continue;
        const target = resolveClientTarget(index, proxy, name);
        if (target) out.set(name, target);
      }
    }
  }
  return [...out.entries()].sort(([a], [b]) => compare(a, b));
}
