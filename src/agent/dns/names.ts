// The DNS proxy's answer rules, pure: a name table plus the pod's namespace become a lookup of every name a pod may
// ask for (FQDNs, and for Kubernetes Services the short forms its search domains produce), and a question becomes
// either addresses of the asked family (possibly none: NOERROR without records) or "not ours" (forward upstream).
import { parseAddress } from '../../model/address.ts';
import type { Address } from '../../model/types.ts';
import type { NameTable } from '../../translate/nds.ts';

/** Every name the proxy answers, lowercase without trailing dot → its addresses, primary family first. */
export type NameLookup = ReadonlyMap<string, readonly Address[]>;

/** The record types the proxy answers for a mesh name; any other type gets NOERROR without records. */
export type AskedType = 'A' | 'AAAA' | 'ANY' | 'other';

/** The outcome for one question: records from the table, or forward to the pod's resolvers. */
export type Answer = { readonly kind: 'answer'; readonly addresses: readonly Address[] } | { readonly kind: 'forward' };

/**
 * The lookup for a pod in `podNamespace`. A Kubernetes Service `svc` in `ns` (host `svc.ns.svc.<domain>`) is also
 * `svc.ns.svc` and `svc.ns`, and plain `svc` for pods of `ns`, as the pod's search domains (`ns.svc.<domain>`,
 * `svc.<domain>`, `<domain>`) make of them. A full name always wins over a derived short one.
 */
export function nameLookup(table: NameTable, podNamespace: string): NameLookup {
  const full = new Map<string, Address[]>();
  const short = new Map<string, Address[]>();
  for (const [host, info] of Object.entries(table.table)) {
    const addresses = info.ips.flatMap((ip) => parseAddress(ip) ?? []);
    full.set(normalName(host), addresses);
    if (info.registry !== 'Kubernetes' || !info.shortname || !info.namespace) continue;
    const base = `${info.shortname}.${info.namespace}`.toLowerCase();
    if (!normalName(host).startsWith(`${base}.svc.`)) continue;
    for (const name of [base, `${base}.svc`]) short.set(name, addresses);
    if (info.namespace === podNamespace) short.set(info.shortname.toLowerCase(), addresses);
  }
  for (const [name, addresses] of short) if (!full.has(name)) full.set(name, addresses);
  return full;
}

/** A DNS name as the lookup keys it: lowercase, no trailing dot. */
export function normalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/**
 * What to answer for (name, type): a mesh name gets its addresses of the asked family (A: IPv4, AAAA: IPv6, ANY: all;
 * other types none), so a name without that family is NOERROR with no records, never NXDOMAIN; others are forwarded.
 */
export function answerFor(lookup: NameLookup, name: string, type: AskedType): Answer {
  const addresses = lookup.get(normalName(name));
  if (!addresses) return { kind: 'forward' };
  if (type === 'ANY') return { kind: 'answer', addresses };
  if (type === 'other') return { kind: 'answer', addresses: [] };
  const family = type === 'A' ? 'IPv4' : 'IPv6';
  return { kind: 'answer', addresses: addresses.filter((a) => a.family === family) };
}
