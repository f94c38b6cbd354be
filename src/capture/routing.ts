// TPROXY's policy routing as data: per family, a rule sending packets with the TPROXY mark to a table whose only
// route delivers everything locally (through lo). Without it a marked packet addressed elsewhere — the reply to an
// upstream connection the proxy opened from the client's own address — would leave the pod instead of reaching
// the proxy. Pure: `apply.ts` runs the commands, and the printed script shows exactly what it runs.
import type { IPFamily } from '../model/types.ts';

/** One policy-routing entry biplane owns, as `ip` arguments to add it, to list it (any output = present) and to
 * delete it. Adding is never blind: `ip rule add` happily duplicates, so apply lists first. */
export interface PolicyRoute {
  readonly family: IPFamily;
  readonly add: readonly string[];
  readonly show: readonly string[];
  readonly del: readonly string[];
}

/** The mark and table the entries use (the config's `tproxyMark` / `tproxyRouteTable`). */
export interface PolicyRouting {
  readonly mark: number;
  readonly table: number;
}

const FLAG: Readonly<Record<IPFamily, string>> = { IPv4: '-4', IPv6: '-6' };
const EVERYTHING: Readonly<Record<IPFamily, string>> = { IPv4: '0.0.0.0/0', IPv6: '::/0' };

/** `ip rule … fwmark MARK lookup TABLE` and `ip route … local <all> dev lo table TABLE` for `family`. */
export function policyRoutes(family: IPFamily, routing: PolicyRouting): PolicyRoute[] {
  const f = FLAG[family];
  const table = String(routing.table);
  const rule = ['fwmark', String(routing.mark), 'lookup', table];
  const route = ['local', EVERYTHING[family], 'dev', 'lo', 'table', table];
  return [
    { family, add: [f, 'rule', 'add', ...rule], show: [f, 'rule', 'show', ...rule], del: [f, 'rule', 'del', ...rule] },
    {
      family,
      add: [f, 'route', 'add', ...route],
      show: [f, 'route', 'show', 'table', table, 'type', 'local', 'exact', EVERYTHING[family], 'dev', 'lo'],
      del: [f, 'route', 'del', ...route],
    },
  ];
}

/** A shell script of the `add` commands, for printing and golden files (`sh` runs it in the pod's namespace). */
export function policyRoutingScript(routes: readonly PolicyRoute[], routing: PolicyRouting): string {
  const header =
    `# biplane TPROXY policy routing: packets marked ${routing.mark} are delivered locally through table ` +
    `${routing.table}; 'biplane capture --clean' removes it`;
  return [header, ...routes.map((r) => ['ip', ...r.add].join(' ')), ''].join('\n');
}
