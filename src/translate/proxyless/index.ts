// The proxyless gRPC generator: (mesh, proxy) → what a grpc-js-xds / grpc-go / grpc-java application needs. Clients
// name their listeners, so every resource can also be built alone by name; `translateProxyless` lists them all.
// Layout: per dialable authority one api_listener; per service port one RouteConfiguration (named by the FQDN
// authority, one virtual host), one cluster and one load assignment; per inbound port and bind address one server
// listener with inline routes.
import { indexModel, type ModelIndex } from '../../model/model-index.ts';
import type { MeshModel, Proxy } from '../../model/types.ts';
import type { Cluster, ClusterLoadAssignment, RouteConfiguration } from '../envoy-types.ts';
import { compareStrings as compare } from '../../compare-strings.ts';
import { meshLookup, outboundClusterName, type MeshLookup } from '../service-plan.ts';
import { clientCluster, clientEndpoints, clientListener, clientRoute } from './client.ts';
import { clientRouteName, serverListeningAddress } from './names.ts';
import { serverListener, serverListenerNames } from './server.ts';
import { clientPorts, clientTargets, resolveClientTarget, type ClientTarget } from './targets.ts';
import type { ProxylessListener, ProxylessOptions, ProxylessResources } from './types.ts';

export type * from './types.ts';
export { SERVER_LISTENER_PREFIX, SERVER_LISTENER_TEMPLATE, serverListenerName } from './names.ts';
export { serverBindAddresses, serverListener } from './server.ts';
export { authoritiesOf, proxylessUpstream } from './targets.ts';

/** What the generator reads: a model, or its index (built once per model and shared by every proxy). */
export type ProxylessInput = ModelIndex | MeshModel;

function toIndex(input: ProxylessInput): ModelIndex {
  return 'servicesByHostname' in input ? input : indexModel(input);
}

/** The service ports a proxy can dial, one per (hostname, port), hostname then port. */
function servicePorts(mesh: MeshLookup): ClientTarget[] {
  const out = mesh.services.flatMap((service) => clientPorts(service).map((port) => ({ service, port })));
  return out.sort((a, b) => compare(a.service.hostname, b.service.hostname) || a.port.port - b.port.port);
}

/** Every listener name a proxy can be answered for (client authorities, then server bind addresses), sorted. */
export function proxylessListenerNames(input: ProxylessInput, proxy: Proxy, options: ProxylessOptions = {}): string[] {
  const index = toIndex(input);
  const mesh = meshLookup(index);
  const clients = clientTargets(index, mesh, proxy).map(([name]) => name);
  const servers = options.serverListeners === false ? [] : serverListenerNames(mesh, proxy);
  return [...clients, ...servers].sort(compare);
}

/**
 * One listener by the name a gRPC application subscribed to: a client target `host:port`, or a server's
 * `grpc/server?xds.resource.listening_address=<host>:<port>` (any port, for the proxy's own IPs, wildcards and
 * loopback). Undefined: biplane has nothing by that name (the xDS server reports it as absent).
 */
export function proxylessListener(input: ProxylessInput, proxy: Proxy, name: string): ProxylessListener | undefined {
  const bound = serverListeningAddress(name);
  if (bound !== undefined) return serverListener(proxy, bound);
  const index = toIndex(input);
  const target = resolveClientTarget(index, proxy, name);
  return target ? clientListener(name, target) : undefined;
}

/** The service port behind a client route name (`<fqdn>:<port>`) or cluster name (`outbound|<port>||<fqdn>`). */
function targetByKey(index: ModelIndex, hostname: string, port: number): ClientTarget | undefined {
  const service = index.servicesByHostname.get(hostname);
  const servicePort = service ? clientPorts(service).find((p) => p.port === port) : undefined;
  return service && servicePort ? { service, port: servicePort } : undefined;
}

function parseClusterName(name: string): { hostname: string; port: number } | undefined {
  const match = /^outbound\|(\d+)\|\|(.+)$/.exec(name);
  return match ? { hostname: match[2] ?? '', port: Number(match[1]) } : undefined;
}

/** One RouteConfiguration by name (`<fqdn>:<port>`), for servers that build only what is subscribed. */
export function proxylessRoute(input: ProxylessInput, proxy: Proxy, name: string): RouteConfiguration | undefined {
  const cut = name.lastIndexOf(':');
  const index = toIndex(input);
  const target = cut > 0 ? targetByKey(index, name.slice(0, cut), Number(name.slice(cut + 1))) : undefined;
  return target && clientRouteName(target.service.hostname, target.port.port) === name
    ? clientRoute(target.service, target.port, proxy)
    : undefined;
}

/** One cluster by name (`outbound|<port>||<fqdn>`). */
export function proxylessCluster(input: ProxylessInput, proxy: Proxy, name: string): Cluster | undefined {
  const key = parseClusterName(name);
  const index = toIndex(input);
  const target = key ? targetByKey(index, key.hostname, key.port) : undefined;
  return target ? clientCluster(meshLookup(index), target.service, target.port, proxy) : undefined;
}

/** One ClusterLoadAssignment by cluster name (EDS clusters only). */
export function proxylessEndpoints(input: ProxylessInput, proxy: Proxy, name: string): ClusterLoadAssignment | undefined {
  const key = parseClusterName(name);
  const index = toIndex(input);
  const target = key ? targetByKey(index, key.hostname, key.port) : undefined;
  return target ? clientEndpoints(meshLookup(index), target.service, target.port, proxy) : undefined;
}

/** Every resource of one proxyless application, each list sorted by name (a full snapshot, or for offline use). */
export function translateProxyless(input: ProxylessInput, proxy: Proxy, options: ProxylessOptions = {}): ProxylessResources {
  const index = toIndex(input);
  const mesh = meshLookup(index);
  const ports = servicePorts(mesh);
  const servers = options.serverListeners === false ? [] : serverListenerNames(mesh, proxy);
  const listeners: ProxylessListener[] = [
    ...clientTargets(index, mesh, proxy).map(([name, target]) => clientListener(name, target)),
    ...servers.flatMap((name) => proxylessListener(index, proxy, name) ?? []),
  ].sort((a, b) => compare(a.name, b.name));
  const clusters = ports.flatMap((t) => clientCluster(mesh, t.service, t.port, proxy) ?? []);
  const endpoints = ports.flatMap((t) => clientEndpoints(mesh, t.service, t.port, proxy) ?? []);
  return {
    listeners,
    clusters: clusters.sort((a, b) => compare(a.name, b.name)),
    routes: ports.map((t) => clientRoute(t.service, t.port, proxy)).sort((a, b) => compare(a.name, b.name)),
    endpoints: endpoints.sort((a, b) => compare(a.cluster_name, b.cluster_name)),
  };
}

/** The cluster name of a service port, re-exported so the xDS layer and tests spell it once. */
export { outboundClusterName };
