// `biplane proxy-config` tables: one row per listener, cluster, virtual host or endpoint of a proxy's config dump,
// with every address of both families on the row (listener addresses, bind sources, an endpoint's addresses).
import { addressText, arr, obj, sectionResources, str, type DumpSection, type Json } from './config-dump.ts';
import { cellList, type Table } from './table.ts';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** Where one network filter sends traffic: a tcp_proxy's cluster(s) or an HTTP connection manager's routes. */
function filterDestination(typed: Json): string[] {
  const type = str(typed['@type']);
  if (type === TCP_PROXY) {
    const cluster = str(typed['cluster']);
    if (cluster !== undefined) return [cluster];
    return arr(obj(typed['weighted_clusters'])['clusters']).map((c) => str(obj(c)['name']) ?? '?');
  }
  if (type === HCM) {
    const rds = str(obj(typed['rds'])['route_config_name']);
    return [rds !== undefined ? `Route: ${rds}` : 'Route: inline'];
  }
  return [];
}

/** Every distinct destination of a listener's chains (default chain last), or its API listener's routes. */
function listenerDestinations(listener: Json): string[] {
  const chains = [...arr(listener['filter_chains']), ...(listener['default_filter_chain'] ? [listener['default_filter_chain']] : [])];
  const api = obj(obj(listener['api_listener'])['api_listener']);
  const all = [
    ...chains.flatMap((c) => arr(obj(c)['filters']).flatMap((f) => filterDestination(obj(obj(f)['typed_config'])))),
    ...filterDestination(api),
  ];
  return [...new Set(all)];
}

/** Listeners: NAME, ADDRESSES (primary and additional, both families), CHAINS, DESTINATION. */
export function listenersTable(dump: unknown): Table {
  const rows = sectionResources(dump, 'listeners').map((l) => {
    const addresses = l['address'] ? [addressText(l['address']), ...arr(l['additional_addresses']).map((a) => addressText(obj(a)['address']))] : [];
    const chains = arr(l['filter_chains']).length + (l['default_filter_chain'] ? 1 : 0);
    return [str(l['name']) ?? '?', addresses.length > 0 ? addresses.join(', ') : '-', String(chains), cellList(listenerDestinations(l), 2)];
  });
  return { headers: ['NAME', 'ADDRESSES', 'CHAINS', 'DESTINATION'], rows };
}

/** Istio's cluster name `direction|port|subset|host` split into its parts; other names are the host alone. */
function clusterParts(name: string): { fqdn: string; port: string; subset: string; direction: string } {
  const parts = name.split('|');
  if (parts.length !== 4) return { fqdn: name, port: '-', subset: '-', direction: '-' };
  const [direction = '', port = '', subset = '', fqdn = ''] = parts;
  return { fqdn, port, subset: subset === '' ? '-' : subset, direction: direction.toUpperCase() };
}

/** The addresses an upstream connection may bind: the source address and the extra ones (the other family). */
function bindSources(cluster: Json): string {
  const bind = obj(cluster['upstream_bind_config']);
  if (!bind['source_address']) return '-';
  // BindConfig holds SocketAddresses, not Addresses.
  const ip = (socket: unknown): string => str(obj(socket)['address']) ?? '?';
  return [ip(bind['source_address']), ...arr(bind['extra_source_addresses']).map((e) => ip(obj(e)['address']))].join(', ');
}

/** Clusters: SERVICE FQDN, PORT, SUBSET, DIRECTION, TYPE, DNS LOOKUP (DNS clusters), BIND SOURCES. */
export function clustersTable(dump: unknown): Table {
  const rows = sectionResources(dump, 'clusters').map((c) => {
    const { fqdn, port, subset, direction } = clusterParts(str(c['name']) ?? '?');
    const type = str(c['type']) ?? 'STATIC';
    const dns = type === 'STRICT_DNS' || type === 'LOGICAL_DNS' ? (str(c['dns_lookup_family']) ?? 'AUTO') : '-';
    return [fqdn, port, subset, direction, type, dns, bindSources(c)];
  });
  return { headers: ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DNS LOOKUP', 'BIND SOURCES'], rows };
}

/** A route domain without its `:port`; IPv6 literals keep their brackets. */
function domainHost(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(0, domain.indexOf(']') + 1);
  return domain.replace(/:\d+$/, '');
}

const isIpDomain = (host: string): boolean => host.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(host);

/** What one route matches: its prefix, path or regex. */
function routeMatch(route: Json): string {
  const m = obj(route['match']);
  const prefix = str(m['prefix']);
  if (prefix !== undefined) return prefix === '/' ? '/*' : `${prefix}*`;
  return str(m['path']) ?? str(obj(m['safe_regex'])['regex']) ?? '?';
}

/** Where one route sends: its cluster, weighted clusters, or what it does instead. */
function routeTarget(route: Json): string[] {
  const action = obj(route['route']);
  const cluster = str(action['cluster']);
  if (cluster !== undefined) return [cluster];
  const weighted = arr(obj(action['weighted_clusters'])['clusters']).map((c) => str(obj(c)['name']) ?? '?');
  if (weighted.length > 0) return weighted;
  return [route['redirect'] ? 'redirect' : route['direct_response'] ? 'direct response' : route['non_forwarding_action'] ? 'non-forwarding' : '?'];
}

/** Routes: one row per virtual host: NAME, VIRTUAL HOST, DOMAINS (names), IP DOMAINS (both families), MATCH, CLUSTER. */
export function routesTable(dump: unknown): Table {
  const rows = sectionResources(dump, 'routes').flatMap((rc) =>
    arr(rc['virtual_hosts']).map((v) => {
      const vh = obj(v);
      const hosts = [...new Set(arr(vh['domains']).map((d) => domainHost(String(d))))];
      const routes = arr(vh['routes']).map(obj);
      return [
        str(rc['name']) ?? '?',
        str(vh['name']) ?? '?',
        cellList(hosts.filter((h) => !isIpDomain(h)), 1),
        cellList(hosts.filter(isIpDomain), 4),
        cellList([...new Set(routes.map(routeMatch))], 2),
        cellList([...new Set(routes.flatMap(routeTarget))], 2),
      ];
    }),
  );
  return { headers: ['NAME', 'VIRTUAL HOST', 'DOMAINS', 'IP DOMAINS', 'MATCH', 'CLUSTER'], rows };
}

/** Endpoints: one row per endpoint with all its addresses (the pod's other family in `additional_addresses`). */
export function endpointsTable(dump: unknown): Table {
  const rows = sectionResources(dump, 'endpoints').flatMap((cla) =>
    arr(cla['endpoints']).flatMap((locality) =>
      arr(obj(locality)['lb_endpoints']).map((e) => {
        const lb = obj(e);
        const ep = obj(lb['endpoint']);
        const addresses = [addressText(ep['address']), ...arr(ep['additional_addresses']).map((a) => addressText(obj(a)['address']))];
        const weight = lb['load_balancing_weight'];
        return [addresses.join(', '), str(lb['health_status']) ?? 'UNKNOWN', weight === undefined ? '-' : String(weight), str(cla['cluster_name']) ?? '?'];
      }),
    ),
  );
  return { headers: ['ENDPOINT', 'STATUS', 'WEIGHT', 'CLUSTER'], rows };
}

/** The table of one section. */
export function sectionTable(dump: unknown, section: DumpSection): Table {
  switch (section) {
    case 'listeners':
      return listenersTable(dump);
    case 'clusters':
      return clustersTable(dump);
    case 'routes':
      return routesTable(dump);
    case 'endpoints':
      return endpointsTable(dump);
  }
}
