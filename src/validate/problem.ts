// The validator's vocabulary: what a problem looks like, what it reads, and how checks report into a list.
import { fieldPath, indexPath, keyPath, resourceName } from '../envoy-api/plain.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import type { KeyOf, ValidationCache } from './validation-cache.ts';

/** The resources of one snapshot as plain objects; any translator output with these four arrays is assignable. */
export interface ResourceSet {
  readonly listeners: readonly object[];
  readonly clusters: readonly object[];
  readonly routes: readonly object[];
  readonly endpoints: readonly object[];
}

/** Which xDS client will consume the resources: Envoy, or proxyless gRPC (stricter, gRFC A27/A36/A61). */
export type ValidationClient = 'envoy' | 'grpc';

/** Knobs of `validateResource`, `validateSet` and `validateResources`. */
export interface ValidateOptions {
  /** Which client the resources are for; 'envoy' when absent. */
  readonly client?: ValidationClient;
  /**
   * Whether each resource the walker accepted is also encoded, decoded and compared with what was meant (default
   * true). The walker already proves every field encodes faithfully; false skips that second opinion, about half of
   * the uncached cost, for a caller that encodes every resource itself anyway (the server).
   */
  readonly roundTrip?: boolean;
  /** Remembers per-resource results by content key across calls (a server keeps one for its lifetime). */
  readonly cache?: ValidationCache;
  /** The content key of a resource for `cache`; a SHA-256 of its key-sorted JSON when absent. */
  readonly keyOf?: KeyOf;
}

/** How a check reports a problem inside the resource it is looking at. */
export type Report = (path: string, rule: string, message: string) => void;

/** The Report of one resource that pushes its problems, named by type URL and resource name, into `into`. */
export function reporter(typeUrl: string, resource: unknown, into: ResourceProblem[]): Report {
  const name = resourceName(resource);
  return (path, rule, message) => into.push({ typeUrl, resource: name, path, rule, message });
}

/** Gives `make(key)`, or what it gave for the same key before when the slot remembers. */
export type Remember<K extends object, V> = (key: K, make: (key: K) => V) => V;

/**
 * Named slots of remembered values (what is remembered about an array or a resource): the set rules read everything
 * through one, so the plain validator and the server's SetValidator run the same code.
 */
export interface Memo {
  slot<K extends object, V>(name: string): Remember<K, V>;
}

const fresh = <K extends object, V>(key: K, make: (key: K) => V): V => make(key);

/** The Memo that remembers nothing, for one-off validation. */
export const computeAlways: Memo = { slot: () => fresh };

/**
 * A path inside a resource that is only spelled out when a problem is reported: the walker makes one per field it
 * descends into, and most of them are never turned into text.
 */
export interface Loc {
  readonly up: Loc | undefined;
  /** A field name, an array index, or a map key (kind 'key'). */
  readonly step: string | number;
  readonly kind: 'field' | 'index' | 'key';
}

/** `loc.field`. */
export function locField(up: Loc | undefined, field: string): Loc {
  return { up, step: field, kind: 'field' };
}

/** `loc[index]`. */
export function locIndex(up: Loc | undefined, index: number): Loc {
  return { up, step: index, kind: 'index' };
}

/** `loc["key"]`. */
export function locKey(up: Loc | undefined, key: string): Loc {
  return { up, step: key, kind: 'key' };
}

/** The dotted text of a lazy path, as `fieldPath`/`indexPath`/`keyPath` would have built it ('' for the root). */
export function locText(loc: Loc | undefined): string {
  if (!loc) return '';
  const base = locText(loc.up);
  if (loc.kind === 'index') return indexPath(base, loc.step as number);
  if (loc.kind === 'key') return keyPath(base, String(loc.step));
  return fieldPath(base, String(loc.step));
}

/** How the walker and the PGV rules report: the path is given lazily and spelled out only here. */
export type LocReport = (loc: Loc | undefined, rule: string, message: string) => void;

/** Adapts a string-path Report to a lazy-path one. */
export function locReport(report: Report): LocReport {
  return (loc, rule, message) => report(locText(loc), rule, message);
}
