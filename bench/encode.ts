// Encoding EnvoyResources the way the ADS server ships them, plus the content-hash cache that lets proxies with the
// same resource share one encoding.
import { createHash } from 'node:crypto';
import { RESOURCE_TYPES } from '../src/translate/render.ts';
import type { EnvoyResources } from '../src/translate/index.ts';
import { encodeMessage } from '../src/envoy-api/protos.ts';
import { makeResource } from '../src/xds/resource.ts';
import type { Resource } from '../src/xds/resource.ts';

/** The four lists of EnvoyResources, in push order (CDS, EDS, LDS, RDS). */
export const KINDS = ['clusters', 'endpoints', 'listeners', 'routes'] as const;

/** One of KINDS. */
export type Kind = (typeof KINDS)[number];

/** Encoded bytes per xDS type and in total. */
export type ByteCounts = Record<Kind | 'total', number>;

/** One list of EnvoyResources as the plain objects the encoder takes. */
function plainList(resources: EnvoyResources, kind: Kind): readonly Readonly<Record<string, unknown>>[] {
  return resources[kind] as unknown as readonly Readonly<Record<string, unknown>>[];
}

/** Bytes of every resource encoded on its own (the payload of each Any), per type and total. */
export function encodedBytes(resources: EnvoyResources): ByteCounts {
  const out: ByteCounts = { clusters: 0, endpoints: 0, listeners: 0, routes: 0, total: 0 };
  for (const kind of KINDS) {
    for (const r of resources[kind] as readonly object[]) out[kind] += encodeMessage(RESOURCE_TYPES[kind], r).length;
    out.total += out[kind];
  }
  return out;
}

/** How many resources of each type. */
export function resourceCounts(resources: EnvoyResources): ByteCounts {
  const out: ByteCounts = { clusters: 0, endpoints: 0, listeners: 0, routes: 0, total: 0 };
  for (const kind of KINDS) {
    out[kind] = resources[kind].length;
    out.total += out[kind];
  }
  return out;
}

/** Every resource through `makeResource` (strict field check, encode, content hash), no sharing. */
export function encodeAll(resources: EnvoyResources): Resource[] {
  return KINDS.flatMap((kind) => plainList(resources, kind).map((r) => makeResource(RESOURCE_TYPES[kind], r)));
}

/**
 * Encoded resources shared across proxies: keyed by a hash of the plain object's JSON, so a resource that another
 * proxy already produced costs a stringify and a hash instead of a field check, an encode and a second hash.
 */
export class ResourceCache {
  readonly #byKey = new Map<string, Resource>();
  hits = 0;
  misses = 0;

  /** The Resource for a plain object, encoded once per distinct content. */
  get(typeUrl: string, value: Readonly<Record<string, unknown>>): Resource {
    const key = createHash('sha1').update(typeUrl).update(JSON.stringify(value)).digest('base64');
    const found = this.#byKey.get(key);
    if (found) {
      this.hits++;
      return found;
    }
    this.misses++;
    const made = makeResource(typeUrl, value);
    this.#byKey.set(key, made);
    return made;
  }

  /** Every resource of a proxy through the cache. */
  encodeAll(resources: EnvoyResources): Resource[] {
    return KINDS.flatMap((kind) => plainList(resources, kind).map((r) => this.get(RESOURCE_TYPES[kind], r)));
  }

  /** Distinct resources held. */
  get size(): number {
    return this.#byKey.size;
  }
}
