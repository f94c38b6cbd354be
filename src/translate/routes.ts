// RDS (spec §7): one RouteConfiguration per HTTP port, named by the port ("80"), or one per family ("80|IPv4",
// "80|IPv6") when a natively forwarded service uses that port on a dual proxy. One virtual host per service with every
// name and VIP the proxy sees, each with and without `:port`; a domain is never repeated across virtual hosts.
import { bracketed } from '../model/address.ts';
import type { IPFamily, Proxy, Service } from '../model/types.ts';
import type { RouteConfiguration, VirtualHost } from './envoy-types.ts';
import { PASSTHROUGH_CLUSTER } from './clusters.ts';
import { isHttpProtocol, isNative, outboundClusterName, vipsForProxy, type MeshView } from './plan.ts';
import { proxyFamilies } from './proxy-addresses.ts';
import type { ForwardingStrategy } from './types.ts';

/** Name of the route configuration of an HTTP port, optionally of one family: `80` or `80|IPv6`. */
export function routeConfigName(port: number, family?: IPFamily): string {
  return family ? `${port}|${family}` : `${port}`;
}

/** Services with an HTTP-family port numbered `port`. */
export function httpServicesOn(view: MeshView, port: number): Service[] {
  return view.services.filter((s) => s.ports.some((p) => p.port === port && isHttpProtocol(p.protocol)));
}

/** Every HTTP port number any service exposes, ascending. */
export function httpPorts(view: MeshView): number[] {
  const ports = new Set(view.services.flatMap((s) => s.ports.filter((p) => isHttpProtocol(p.protocol)).map((p) => p.port)));
  return [...ports].sort((a, b) => a - b);
}

/**
 * How an HTTP port's listener and routes split: `[undefined]` (one for both families) or the dual proxy's families
 * when any service on that port is forwarded natively (the cost of native forwarding stays on the ports that ask).
 */
export function httpPortFamilies(view: MeshView, port: number, proxy: Proxy, strategy: ForwardingStrategy): (IPFamily | undefined)[] {
  const native = httpServicesOn(view, port).some((s) => isNative(s, proxy, strategy));
  return native ? proxyFamilies(proxy) : [undefined];
}

/**
 * Domains of a service's virtual host: its hostname, Kubernetes short names (`name.namespace.svc`, `name.namespace`,
 * and `name` for proxies in the same namespace, so short names never collide across namespaces), and every VIP the
 * proxy sees (of `family` only, for a per-family route configuration), IPv6 bracketed; each with and without `:port`.
 */
export function serviceDomains(service: Service, port: number, proxy: Proxy, family?: IPFamily): string[] {
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

/** The route configuration of one HTTP port (and family, when split). */
export function routeConfiguration(
  view: MeshView,
  port: number,
  proxy: Proxy,
  strategy: ForwardingStrategy,
  family?: IPFamily,
): RouteConfiguration {
  const taken = new Set<string>();
  const virtual_hosts: VirtualHost[] = [];
  for (const service of httpServicesOn(view, port)) {
    const domains = serviceDomains(service, port, proxy, family).filter((d) => !taken.has(d));
    if (domains.length === 0) continue;
    domains.forEach((d) => taken.add(d));
    const native = family !== undefined && isNative(service, proxy, strategy);
    const cluster = outboundClusterName(port, service.hostname, native ? family : undefined);
    const name = `${service.hostname}:${port}`;
    virtual_hosts.push({ name, domains: [...new Set(domains)], routes: [{ name: 'default', match: { prefix: '/' }, route: { cluster } }] });
  }
  virtual_hosts.push(allowAny());
  return { name: routeConfigName(port, family), virtual_hosts, validate_clusters: { value: false } };
}

/** Every route configuration the proxy's HTTP listeners reference. */
export function outboundRoutes(view: MeshView, proxy: Proxy, strategy: ForwardingStrategy): RouteConfiguration[] {
  return httpPorts(view).flatMap((port) =>
    httpPortFamilies(view, port, proxy, strategy).map((family) => routeConfiguration(view, port, proxy, strategy, family)),
  );
}
