// How the simulated Envoy picks a filter chain: what the listener filters detect about a connection (transport and
// application protocols, or a timeout when the client sends nothing), then Envoy's matching order, criterion by
// criterion: destination port, destination IP (longest prefix), server name, transport protocol, application
// protocols. Each step keeps only its most specific candidates and never backtracks; when a step leaves nothing, the
// default chain takes the connection (or nothing does).
import { parsePrefix, prefixContains } from '../model/index.ts';
import type { Address } from '../model/index.ts';
import type { FilterChain, FilterChainMatch, Listener } from './envoy-types.ts';

/** What a client sends first: plaintext HTTP/1.1, HTTP/2 with prior knowledge, a TLS ClientHello, other bytes, nothing. */
export type FirstBytes = 'http/1.1' | 'h2c' | 'tls' | 'tcp' | 'server-first';

/** What the listener filters learned about a connection before chain matching. */
export interface Detected {
  readonly transport: string;
  readonly applicationProtocols: readonly string[];
  readonly serverName?: string;
  /** The listener filters gave up waiting for the client's first bytes and the connection went on undetected. */
  readonly timedOut: boolean;
  /** Why the connection never reaches chain matching, if it does not. */
  readonly error?: string;
}

function hasFilter(l: Listener, name: string): boolean {
  return (l.listener_filters ?? []).some((f) => f.name === name);
}

/** The listener filters' verdict on a connection whose client sends `first` (with `sni`/`alpn` when it is TLS). */
export function detect(l: Listener, first: FirstBytes, sni?: string, alpn: readonly string[] = []): Detected {
  const tls = hasFilter(l, 'envoy.filters.listener.tls_inspector');
  const http = hasFilter(l, 'envoy.filters.listener.http_inspector');
  if (first === 'server-first' && (tls || http)) {
    const timeout = l.listener_filters_timeout ?? { seconds: 15 };
    if (timeout.seconds === 0 && !timeout.nanos) return { transport: '', applicationProtocols: [], timedOut: false, error: 'listener filters wait forever for the client to send first' };
    if (!l.continue_on_listener_filters_timeout) return { transport: '', applicationProtocols: [], timedOut: true, error: 'listener filters timed out waiting for the client and closed the connection' };
    return { transport: 'raw_buffer', applicationProtocols: [], timedOut: true };
  }
  if (first === 'tls' && tls) return { transport: 'tls', applicationProtocols: alpn, ...(sni ? { serverName: sni } : {}), timedOut: false };
  const plaintext = http && (first === 'http/1.1' || first === 'h2c');
  return { transport: 'raw_buffer', applicationProtocols: plaintext ? [first] : [], timedOut: false };
}

type Step = (chains: readonly FilterChain[]) => FilterChain[];

const matchOf = (c: FilterChain): FilterChainMatch => c.filter_chain_match ?? {};

/** Chains that name the value, else chains that leave the criterion empty. */
function exactOrAny(value: string | undefined, values: (m: FilterChainMatch) => readonly string[]): Step {
  return (chains) => {
    const named = value === undefined ? [] : chains.filter((c) => values(matchOf(c)).includes(value));
    return named.length > 0 ? named : chains.filter((c) => values(matchOf(c)).length === 0);
  };
}

function byDestinationIp(dst: Address): Step {
  return (chains) => {
    const score = (c: FilterChain): number => {
      const ranges = matchOf(c).prefix_ranges ?? [];
      if (ranges.length === 0) return 0;
      const hits = ranges.flatMap((r) => {
        const network = parsePrefix(r.address_prefix)?.address;
        return network && prefixContains(network, r.prefix_len.value, dst) ? [r.prefix_len.value] : [];
      });
      return hits.length > 0 ? Math.max(...hits) : -1;
    };
    const scored = chains.map((c) => ({ c, s: score(c) })).filter((x) => x.s >= 0);
    const best = Math.max(-1, ...scored.map((x) => x.s));
    return scored.filter((x) => x.s === best).map((x) => x.c);
  };
}

function byServerName(name: string | undefined): Step {
  return (chains) => {
    const names = (c: FilterChain): readonly string[] => (matchOf(c).server_names ?? []).map((n) => n.toLowerCase());
    const host = name?.toLowerCase();
    if (host !== undefined) {
      const exact = chains.filter((c) => names(c).includes(host));
      if (exact.length > 0) return exact;
      const suffix = (n: string): number => (n.startsWith('*.') && host.endsWith(n.slice(1)) ? n.length : 0);
      const best = Math.max(0, ...chains.flatMap((c) => names(c).map(suffix)));
      if (best > 0) return chains.filter((c) => names(c).some((n) => suffix(n) === best));
    }
    return chains.filter((c) => names(c).length === 0);
  };
}

function byApplicationProtocols(protocols: readonly string[]): Step {
  return (chains) => {
    for (const p of protocols) {
      const named = chains.filter((c) => (matchOf(c).application_protocols ?? []).includes(p));
      if (named.length > 0) return named;
    }
    return chains.filter((c) => (matchOf(c).application_protocols ?? []).length === 0);
  };
}

/** Envoy's filter chain choice for a connection to `dst:port` with what the listener filters detected. */
export function matchFilterChain(l: Listener, dst: Address, port: number, detected: Detected): FilterChain | undefined {
  const steps: Step[] = [
    (chains) => {
      const exact = chains.filter((c) => matchOf(c).destination_port?.value === port);
      return exact.length > 0 ? exact : chains.filter((c) => matchOf(c).destination_port === undefined);
    },
    byDestinationIp(dst),
    byServerName(detected.serverName),
    exactOrAny(detected.transport, (m) => (m.transport_protocol ? [m.transport_protocol] : [])),
    byApplicationProtocols(detected.applicationProtocols),
  ];
  let chains: readonly FilterChain[] = l.filter_chains;
  for (const step of steps) {
    chains = step(chains);
    if (chains.length === 0) return l.default_filter_chain;
  }
  return chains[0];
}
