// Listener rules Envoy enforces at load time: an address unless the listener is an api/internal listener, no
// socket address twice (within the listener or across listeners; port 0 excepted), additional addresses of the
// primary's protocol, filter-chain prefix ranges covering every family the listener accepts, filter chains that never
// overlap, router filter last; a loop guard on capture listeners (filter-chains.ts); sniffing that can match and
// never strands a server-first client (sniffing.ts); socket options of the address's family (socket-options.ts).
import type { IPFamily } from '../model/index.ts';
import { asArr, asObj, fieldPath, indexPath, isSet, type Obj } from '../envoy-api/plain.ts';
import { checkChainMatchesUnique, checkLoopGuard } from './filter-chains.ts';
import { filterChainsOf, hcmsOf, type Located } from '../envoy-api/resource-walk.ts';
import { checkRouterLast } from './http.ts';
import { checkSniffing } from './sniffing.ts';
import { checkSocketOptionFamilies } from './socket-options.ts';
import { listenerAddressesOf } from './listener-addresses.ts';
import { cidrFamily } from './net.ts';
import type { Report } from './problem.ts';
import { checkRouteConfig } from './routes.ts';
export { listenerAddressesOf, type ListenerAddress } from './listener-addresses.ts';

function checkAddresses(listener: Obj, report: Report): void {
  const needsAddress = !isSet(listener['api_listener']) && !isSet(listener['internal_listener']);
  if (needsAddress && !isSet(listener['address'])) {
    report('address', 'listener.address_required', 'a listener that is neither an api_listener nor an internal listener needs an address');
  }
  const addresses = listenerAddressesOf(listener);
  const primary = addresses[0]?.path === 'address' ? addresses[0] : undefined;
  const seen = new Map<string, string>();
  for (const a of addresses) {
    if (primary && a !== primary && a.info.protocol !== primary.info.protocol) {
      report(a.path, 'listener.additional_address_protocol', `is ${a.info.protocol} but the listener's address is ${primary.info.protocol}; all addresses of a listener share its filter chains and must use one protocol`);
    }
    if (a.info.port === 0) continue;
    const first = seen.get(a.info.key);
    if (first !== undefined) report(a.path, 'listener.unique_address', `${a.info.key} is already bound at ${first} of this listener`);
    else seen.set(a.info.key, a.path);
  }
}

function matchWithoutRanges(chain: Located): string {
  const { prefix_ranges: _ranges, ...rest } = asObj(chain.value['filter_chain_match']) ?? {};
  return JSON.stringify(rest);
}

function rangeFamilies(chain: Located, field: string): Set<IPFamily | undefined> {
  return new Set(asArr(asObj(chain.value['filter_chain_match'])?.[field]).map(cidrFamily));
}

/** A chain's ranges may cover one family when a sibling chain with the same match covers the other ("split"). */
function checkPrefixRanges(listener: Obj, report: Report): void {
  const families = new Set(listenerAddressesOf(listener).flatMap((a) => (a.info.family ? [a.info.family] : [])));
  const chains = filterChainsOf(listener).filter((c) => c.path !== 'default_filter_chain');
  for (const chain of chains) {
    for (const field of ['prefix_ranges', 'source_prefix_ranges']) {
      const ranges = asArr(asObj(chain.value['filter_chain_match'])?.[field]);
      const path = fieldPath(fieldPath(chain.path, 'filter_chain_match'), field);
      ranges.forEach((r, i) => {
        if (cidrFamily(r) === undefined) report(fieldPath(indexPath(path, i), 'address_prefix'), 'listener.cidr_range', 'is not an IP literal');
      });
      if (ranges.length === 0) continue;
      const covered = rangeFamilies(chain, field);
      for (const family of [...families].sort()) {
        if (covered.has(family)) continue;
        const sibling = chains.some((c) => c !== chain && matchWithoutRanges(c) === matchWithoutRanges(chain) && rangeFamilies(c, field).has(family));
        if (sibling) continue;
        report(path, 'listener.prefix_ranges_family', `has no ${family} range but the listener accepts ${family} connections; a range of one family never matches a connection of the other, so list ranges of both families or none`);
      }
    }
  }
}

/** Checks one listener on its own (cross-listener address clashes are checked over the whole set). */
export function checkListener(listener: Obj, report: Report): void {
  checkAddresses(listener, report);
  checkPrefixRanges(listener, report);
  checkChainMatchesUnique(listener, report);
  checkLoopGuard(listener, report);
  checkSniffing(listener, report);
  checkSocketOptionFamilies(listener, report);
  for (const hcm of hcmsOf(listener)) {
    checkRouterLast(hcm, report);
    const inline = asObj(hcm.value['route_config']);
    if (inline) checkRouteConfig(inline, fieldPath(hcm.path, 'route_config'), report);
  }
}

/** Reports a socket address (port 0 excepted) bound by two listeners, on the second one. */
export function checkListenersDisjoint(listeners: readonly Obj[], reportFor: (listener: Obj) => Report): void {
  const owner = new Map<string, string>();
  for (const listener of listeners) {
    const name = String(listener['name'] ?? '');
    const mine = new Set<string>();
    for (const a of listenerAddressesOf(listener)) {
      if (a.info.port === 0 || mine.has(a.info.key)) continue;
      mine.add(a.info.key);
      const first = owner.get(a.info.key);
      if (first !== undefined) reportFor(listener)(a.path, 'listener.unique_address', `${a.info.key} is already bound by listener "${first}"`);
      else owner.set(a.info.key, name);
    }
  }
}
