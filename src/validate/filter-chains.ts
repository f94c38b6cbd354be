// Filter-chain rules. Envoy rejects a listener two of whose chains match the same connection: identical matches
// ("has the same matching rules defined as") or matches whose criteria, expanded value by value, overlap. And a
// capture listener (one that binds and restores original destinations) without a chain for its own port hands a
// connection sent straight to that port back to itself through the passthrough, forever.
import { addressBits, parseAddress } from '../model/index.ts';
import { anyTypeName, asArr, asNum, asObj, asStr, dig, fieldPath, type Obj } from '../envoy-api/plain.ts';
import { filterChainsOf, networkFiltersOf, TypeName, type Located } from '../envoy-api/resource-walk.ts';
import { listenerAddressesOf } from './listener-addresses.ts';
import type { Report } from './problem.ts';

/** Expanding a chain's match value by value stops here; a match that wide is not compared. */
const MAX_COMBINATIONS = 4096;

function cidrKey(range: unknown): string {
  const prefix = asStr(asObj(range)?.['address_prefix']) ?? '';
  const length = asNum(dig(range, 'prefix_len', 'value') ?? asObj(range)?.['prefix_len']) ?? 0;
  const address = parseAddress(prefix);
  return address ? `${address.family}/${addressBits(address).slice(0, length)}` : `?${prefix}/${length}`;
}

function wrapped(value: unknown): number | undefined {
  return asNum(asObj(value)?.['value'] ?? value);
}

/** Each criterion of a match as the list of values it accepts; `['*']` when the criterion is not set. */
function criteria(match: Obj | undefined): string[][] {
  const list = (field: string, key: (v: unknown) => string): string[] => {
    const values = asArr(match?.[field]).map(key);
    return values.length > 0 ? [...new Set(values)] : ['*'];
  };
  const port = wrapped(match?.['destination_port']);
  const sourceType = match?.['source_type'];
  return [
    [port === undefined ? '*' : String(port)],
    list('prefix_ranges', cidrKey),
    list('direct_source_prefix_ranges', cidrKey),
    list('server_names', (v) => String(v).toLowerCase()),
    [asStr(match?.['transport_protocol']) || '*'],
    list('application_protocols', String),
    [sourceType === undefined || sourceType === 'ANY' || sourceType === 0 ? '*' : String(sourceType)],
    list('source_prefix_ranges', cidrKey),
    list('source_ports', String),
  ];
}

/** Every combination of criteria values a match accepts, as keys; undefined when there are too many to compare. */
function expand(match: Obj | undefined): string[] | undefined {
  let keys = [''];
  for (const values of criteria(match)) {
    if (keys.length * values.length > MAX_COMBINATIONS) return undefined;
    keys = keys.flatMap((k) => values.map((v) => `${k}|${v}`));
  }
  return keys;
}

function chainLabel(chain: Located): string {
  const name = asStr(chain.value['name']);
  return name ? `${chain.path} ("${name}")` : chain.path;
}

/** Reports a filter chain (default chain excepted) that matches a connection an earlier chain already matches. */
export function checkChainMatchesUnique(listener: Obj, report: Report): void {
  const owner = new Map<string, Located>();
  for (const chain of filterChainsOf(listener).filter((c) => c.path !== 'default_filter_chain')) {
    const keys = expand(asObj(chain.value['filter_chain_match']));
    if (!keys) continue;
    const clash = keys.map((k) => owner.get(k)).find((c) => c !== undefined);
    if (clash) {
      report(fieldPath(chain.path, 'filter_chain_match'), 'listener.filter_chain_match_unique', `matches connections ${chainLabel(clash)} already matches; Envoy rejects a listener whose filter chains overlap`);
      continue;
    }
    for (const k of keys) owner.set(k, chain);
  }
}

function restoresOriginalDst(listener: Obj): boolean {
  if (asObj(listener['bind_to_port'])?.['value'] === false || listener['bind_to_port'] === false) return false;
  const useOriginalDst = asObj(listener['use_original_dst'])?.['value'] === true || listener['use_original_dst'] === true;
  const originalDstFilter = asArr(listener['listener_filters']).some(
    (f) => asObj(f)?.['name'] === 'envoy.filters.listener.original_dst' || anyTypeName(asObj(f)?.['typed_config']) === 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  );
  return useOriginalDst || originalDstFilter;
}

/** A chain taking every connection to `port` and not handing it to HTTP routing. */
function guards(chain: Located, port: number): boolean {
  const match = asObj(chain.value['filter_chain_match']);
  if (wrapped(match?.['destination_port']) !== port) return false;
  if (criteria(match).slice(1).some((values) => values.length !== 1 || values[0] !== '*')) return false;
  return !networkFiltersOf(chain).some((f) => anyTypeName(f.value['typed_config']) === TypeName.hcm);
}

function forwardsTcp(chains: readonly Located[]): boolean {
  return chains.some((c) => networkFiltersOf(c).some((f) => anyTypeName(f.value['typed_config']) === TypeName.tcpProxy));
}

/**
 * A listener that binds, restores original destinations (use_original_dst, or the original_dst listener filter) and
 * proxies TCP (so it may pass a connection on to its original destination) needs a chain for its own port, or a
 * connection made straight to that port passes through back to it forever.
 */
export function checkLoopGuard(listener: Obj, report: Report): void {
  const all = filterChainsOf(listener);
  if (!restoresOriginalDst(listener) || !forwardsTcp(all)) return;
  const ports = new Set(listenerAddressesOf(listener).flatMap((a) => (a.info.port && a.info.port <= 65535 ? [a.info.port] : [])));
  const chains = all.filter((c) => c.path !== 'default_filter_chain');
  for (const port of [...ports].sort((a, b) => a - b)) {
    if (chains.some((c) => guards(c, port))) continue;
    report('filter_chains', 'listener.capture_loop_guard', `no filter chain takes connections whose original destination port is ${port}, this listener's own: one sent straight to it would be passed through back to it forever; add a chain matching destination_port ${port} (no other criteria) that ends in a black hole`);
  }
}
