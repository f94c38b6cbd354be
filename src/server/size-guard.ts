// The last line against input that slipped past every check: no resource, and no response (all resources of one type
// together, as a state-of-the-world response carries them), over the client's size limit is ever sent. The service
// whose bytes weigh most in what is too big is found, so the caller can leave it out of that proxy's configuration
// and send everything else.
import type { ValidationClient } from '../validate/index.ts';
import type { Snapshot } from '../xds/index.ts';
import { typeLabel } from './metrics.ts';
import { compareStrings } from '../compare-strings.ts';

/** The largest single resource and the largest response (one type's resources together) a client is sent, in bytes. */
export interface SizeLimits {
  readonly resourceBytes: number;
  readonly responseBytes: number;
}

const MiB = 1024 * 1024;

/**
 * Defaults per client: gRPC clients refuse messages over 4 MiB unless told otherwise, so a proxyless response stays
 * under it with room for the envelope; Envoy takes more, but nothing legitimate comes near these.
 */
export const DEFAULT_SIZE_LIMITS: Readonly<Record<ValidationClient, SizeLimits>> = {
  envoy: { resourceBytes: 16 * MiB, responseBytes: 64 * MiB },
  grpc: { resourceBytes: 4 * MiB - 64 * 1024, responseBytes: 4 * MiB - 64 * 1024 },
};

/** One size over its limit: a resource (with its name), or the total of one type (without). */
export interface Oversize {
  readonly typeUrl: string;
  readonly name?: string;
  readonly bytes: number;
  readonly limit: number;
}

/** Every resource and every type of `snapshot` over `limits`, resources first, in type and name order. */
export function oversize(snapshot: Snapshot, limits: SizeLimits): Oversize[] {
  const resources: Oversize[] = [];
  const totals: Oversize[] = [];
  for (const [typeUrl, type] of [...snapshot.types].sort(([a], [b]) => compareStrings(a, b))) {
    let total = 0;
    for (const [name, resource] of [...type.resources].sort(([a], [b]) => compareStrings(a, b))) {
      total += resource.bytes.length;
      if (resource.bytes.length > limits.resourceBytes) resources.push({ typeUrl, name, bytes: resource.bytes.length, limit: limits.resourceBytes });
    }
    if (total > limits.responseBytes) totals.push({ typeUrl, bytes: total, limit: limits.responseBytes });
  }
  return [...resources, ...totals];
}

/** What is too big, in words: `the lds resource "x" is 123 bytes, over the 100-byte limit`. */
export function describeOversize(over: Oversize): string {
  const what = over.name === undefined ? `the ${typeLabel(over.typeUrl)} response` : `the ${typeLabel(over.typeUrl)} resource ${JSON.stringify(over.name.slice(0, 200))}`;
  return `${what} is ${over.bytes} bytes, over the ${over.limit}-byte limit`;
}

/** The name a translated resource is sent under (`cluster_name` for load assignments). */
export function resourceName(value: object): string | undefined {
  const v = value as { readonly name?: unknown; readonly cluster_name?: unknown };
  return typeof v.name === 'string' ? v.name : typeof v.cluster_name === 'string' ? v.cluster_name : undefined;
}

/** The hostname, among `hosts`, whose parts of `values` weigh most; undefined when no part names one alone. */
export function heaviestHost(values: readonly object[], hosts: ReadonlySet<string>): string | undefined {
  const shares = new Map<string, number>();
  for (const value of values) attribute(value, hosts, shares);
  let best: [string, number] | undefined;
  for (const [host, bytes] of [...shares].sort(([a], [b]) => compareStrings(a, b))) {
    if (!best || bytes > best[1]) best = [host, bytes];
  }
  return best?.[0];
}

/** Adds the size of `value` to the one host it names, or looks inside it when it names several. */
function attribute(value: unknown, hosts: ReadonlySet<string>, shares: Map<string, number>): void {
  const named = new Set<string>();
  mentions(value, hosts, named);
  if (named.size === 0 || typeof value !== 'object' || value === null) return;
  if (named.size === 1) {
    const host = named.values().next().value;
    if (host !== undefined) shares.set(host, (shares.get(host) ?? 0) + JSON.stringify(value).length);
    return;
  }
  for (const child of Array.isArray(value) ? value : Object.values(value)) attribute(child, hosts, shares);
}

/** Collects the hosts a value names: in cluster names (`outbound|80||host`), as a domain, or as `host:port`. */
function mentions(value: unknown, hosts: ReadonlySet<string>, out: Set<string>): void {
  if (typeof value === 'string') {
    const host = hostOf(value);
    if (host !== undefined && hosts.has(host)) out.add(host);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const child of Array.isArray(value) ? value : Object.values(value)) mentions(child, hosts, out);
}

/** The host part of a cluster name, domain or authority. */
function hostOf(text: string): string | undefined {
  const bar = text.lastIndexOf('|');
  if (bar >= 0) return text.slice(bar + 1);
  const colon = text.lastIndexOf(':');
  return colon > 0 && !text.slice(0, colon).includes(':') ? text.slice(0, colon) : text;
}
