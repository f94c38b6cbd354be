// What a delta client holds of one type, without a name → version map per stream: after every response the client
// holds exactly the sent snapshot type's subscribed resources, so a reference to that shared, immutable type and the
// subscription it was sent for say it all; only later differences are kept in a small map.
import { WILDCARD } from './shared-response.ts';
import type { Shape } from './shared-response.ts';
import type { SnapshotType } from './snapshot.ts';

/** Marks a name the client was told does not exist. */
export const ABSENT = '';

/** Name → version the client holds (ABSENT: told it does not exist), as a base type plus per-stream differences. */
export class HeldVersions {
  #base: SnapshotType | undefined;
  #wildcard = false;
  #names: ReadonlySet<string> = new Set();
  /** Differences from the base: a version, or null for "not held". */
  #diff = new Map<string, string | null>();

  /** Starts from the versions a reconnecting client says it holds (initial_resource_versions). */
  constructor(initial: ReadonlyMap<string, string> = new Map()) {
    for (const [name, version] of initial) this.#diff.set(name, version);
  }

  /** The version the client holds, ABSENT, or undefined when it holds nothing by that name. */
  get(name: string): string | undefined {
    const d = this.#diff.get(name);
    if (d !== undefined) return d ?? undefined;
    return this.#derived(name);
  }

  #derived(name: string): string | undefined {
    const base = this.#base;
    if (base === undefined) return undefined;
    const subscribed = this.#names.has(name);
    if (!subscribed && !this.#wildcard) return undefined;
    const r = base.resources.get(name);
    if (r) return r.version;
    return subscribed ? ABSENT : undefined;
  }

  /** Records a version (or ABSENT) the client now holds. */
  set(name: string, version: string): void {
    if (this.#derived(name) === version) this.#diff.delete(name);
    else this.#diff.set(name, version);
  }

  /** Forgets a name: the client holds nothing by it. */
  delete(name: string): void {
    if (this.#derived(name) === undefined) this.#diff.delete(name);
    else this.#diff.set(name, null);
  }

  /** Keeps only the given names (a subscription narrowed to them). */
  retain(names: ReadonlySet<string>): void {
    if (this.#base !== undefined && this.#wildcard) this.#materialize();
    for (const name of [...this.#diff.keys()]) if (!names.has(name)) this.#diff.delete(name);
    for (const name of this.#names) if (!names.has(name)) this.delete(name);
  }

  /** Every held name and version (ABSENT included), in no particular order. */
  *entries(): Generator<[string, string]> {
    const base = this.#base;
    if (base !== undefined) {
      if (this.#wildcard) {
        for (const r of base.resources.values()) if (!this.#diff.has(r.name)) yield [r.name, r.version];
      }
      for (const name of this.#names) {
        if (this.#diff.has(name)) continue;
        const r = base.resources.get(name);
        if (!r) yield [name, ABSENT];
        else if (!this.#wildcard) yield [name, r.version];
      }
    }
    for (const [name, version] of this.#diff) if (version !== null) yield [name, version];
  }

  /**
   * The client now holds exactly `type`'s resources in the subscription (every one for wildcard, else those in
   * `names`) and ABSENT for subscribed names the type lacks. `names` must not change afterwards (it is kept).
   */
  rebase(type: SnapshotType, wildcard: boolean, names: ReadonlySet<string>): void {
    this.#base = type;
    this.#wildcard = wildcard;
    this.#names = names;
    this.#diff.clear();
  }

  /**
   * When the client holds exactly a base type's subscription (no differences): that type and the subscription as a
   * shareable shape (WILDCARD, or the names set object), so equal streams can share one response. Else undefined.
   */
  shareKey(): { base: SnapshotType | undefined; held: Shape | undefined } | undefined {
    if (this.#diff.size > 0) return undefined;
    if (this.#base === undefined) return { base: undefined, held: undefined };
    const held = shapeOf(this.#wildcard, this.#names);
    return held === undefined ? undefined : { base: this.#base, held };
  }

  /** How many names differ from the base (for tests and status: small while the stream keeps up). */
  get differences(): number {
    return this.#diff.size;
  }

  #materialize(): void {
    const all = new Map<string, string | null>(this.entries());
    this.#base = undefined;
    this.#wildcard = false;
    this.#names = new Set();
    this.#diff = all;
  }
}

/** A delta subscription as a cache shape: WILDCARD (no explicit names), the names set, or undefined (both: not shared). */
export function shapeOf(wildcard: boolean, names: ReadonlySet<string>): Shape | undefined {
  if (!wildcard) return names;
  return names.size === 0 ? WILDCARD : undefined;
}
