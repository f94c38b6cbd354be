// RDS (spec §7): one RouteConfiguration per HTTP port, named by the port ("80"), or one per family ("80|IPv4",
// "80|IPv6") when a natively forwarded service uses that port on a dual proxy. One virtual host per service with every
// name and VIP the proxy sees, each with and without `:port`; a domain is never repeated across virtual hosts.
import { bracketed } from '../model/index.ts';
import type { IPFamily, Proxy, Service, ServicePort } from '../model/index.ts';
import type { RouteConfiguration, VirtualHost } from './envoy-types.ts';
import { PASSTHROUGH_CLUSTER } from './clusters.ts';
import { isHttpProtocol, isSplit, outboundClusterName, vipsForProxy, type FamilySplit, type VipFacts } from './service-plan.ts';
import { proxyFamilies } from './proxy-addresses.ts';
import { WILDCARD_PORTS } from './proxy-ports.ts';

/** Name of the route configuration of an HTTP port, optionally of one family: `80` or `80|IPv6`. */
export function routeConfigName(port: number, family?: IPFamily): string {
  return family ? `${port}|${family}` : `${port}`;
}

/**
 * Whether HTTP port `port` of a service gets the shared wildcard listener: not on the ports the sidecar binds on its
 * own wildcards (15001, 15006, 15021, 15090), where Envoy would reject the clash (and with it the whole listener
 * update); such traffic passes through to its destination instead.
 */
export function servesHttpPort(port: ServicePort): boolean {
  return isHttpProtocol(port.protocol) && !WILDCARD_PORTS.has(port.port);
}

/**
 * How a wildcard port's listener and routes split, from the HTTP and SNI-matched services on it: `[undefined]` (one
 * for both families) or the dual proxy's families when any of them is forwarded natively (the cost stays on the ports
 * that ask).
 */
export function portFamilies(splits: readonly FamilySplit[], proxy: Pick<Proxy, 'mode' | 'primaryFamily'>): FamilySplit {
  return splits.some(isSplit) ? proxyFamilies(proxy) : [undefined];
}

/**
 * Domains of a service's virtual host: its hostname, Kubernetes short names (`name.namespace.svc`, `name.namespace`,
 * and `name` for proxies in the same namespace, so short names never collide across namespaces), and every VIP the
 * proxy sees (of `family` only, for a per-family route configuration), IPv6 bracketed; each with and without `:port`.
 */
export function serviceDomains(service: Service, port: number, proxy: VipFacts & Pick<Proxy, 'namespace'>, family?: IPFamily): string[] {
  const names = [service.hostname];
  if (service.kind === 'Service') {
    names.push(`${service.name}.${service.namespace}.svc`, `${service.name}.${service.namespace}`);
    if (service.namespace === proxy.namespace) names.push(service.name);
  }
  const vips = vipsForProxy(service, proxy).filter((v) => !family || v.family === family);
  names.push(...vips.map(bracketed));
  return names.flatMap((n) => [n, `${n}:${port}`]);
}

/** The catch-all virtual host: unknown authorities go to their original destination. */
function allowAny(): VirtualHost {
  return { name: 'allow_any', domains: ['*'], routes: [{ name: 'allow_any', match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER } }] };
}

/** The virtual host a service would get in one port's route configuration, before domains taken earlier are removed. */
export interface HostCandidate {
  readonly hostname: string;
  /** Every domain, in order, duplicates included (`placeVirtualHosts` removes those taken by earlier hosts). */
  readonly domains: readonly string[];
  readonly cluster: string;
  readonly host: VirtualHost;
}

/** The virtual host candidate of one service on one HTTP port (and family, for a split port). */
export function hostCandidate(
  service: Service,
  port: number,
  proxy: VipFacts & Pick<Proxy, 'namespace'>,
  split: FamilySplit,
  family?: IPFamily,
): HostCandidate {
  const domains = serviceDomains(service, port, proxy, family);
  const native = family !== undefined && isSplit(split);
  const cluster = outboundClusterName(port, service.hostname, native ? family : undefined);
  return { hostname: service.hostname, domains, cluster, host: virtualHost(`${service.hostname}:${port}`, domains, cluster) };
}

function virtualHost(name: string, domains: readonly string[], cluster: string): VirtualHost {
  return { name, domains: [...new Set(domains)], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster } }] };
}

/**
 * A route configuration from candidates in service order: a domain is never repeated across virtual hosts (a later
 * host loses the domains taken before it, and a host left with none is dropped); the catch-all host last.
 */
export function placeVirtualHosts(port: number, family: IPFamily | undefined, candidates: Iterable<HostCandidate>): RouteConfiguration {
  const taken = new Set<string>();
  const virtual_hosts: VirtualHost[] = [];
  for (const c of candidates) {
    if (!c.domains.some((d) => taken.has(d))) {
      if (c.domains.length === 0) continue;
      c.domains.forEach((d) => taken.add(d));
      virtual_hosts.push(c.host);
      continue;
    }
    const domains = c.domains.filter((d) => !taken.has(d));
    if (domains.length === 0) continue;
    domains.forEach((d) => taken.add(d));
    virtual_hosts.push(virtualHost(`${c.hostname}:${port}`, domains, c.cluster));
  }
  virtual_hosts.push(allowAny());
  return { name: routeConfigName(port, family), virtual_hosts, validate_clusters: { value: false } };
}

