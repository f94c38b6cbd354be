// Out-of-order protection: the resourceVersion each object was last seen at (and deleted at, for a bounded number of
// deletions), so an event older than what is already applied for the same object is recognised and skipped.

type Json = Record<string, unknown>;

/** Deletions remembered between relists; past it the oldest are forgotten. */
const MAX_TOMBSTONES = 10_000;

/**
 * Orders two resourceVersions when both are decimal integers (how etcd-backed servers write them; the API concepts
 * allow comparing them as such); undefined when either is something else, which then is never treated as stale.
 */
export function compareVersions(a: string, b: string): number | undefined {
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The last resourceVersion applied per object of one collection. */
export class VersionGuard {
  readonly #live = new Map<string, string>();
  readonly #deleted = new Map<string, string>();

  /** A relist: exactly these objects are current; earlier knowledge is dropped. */
  reset(items: readonly Json[]): void {
    this.#live.clear();
    this.#deleted.clear();
    for (const item of items) {
      const id = identity(item);
      if (id) this.#live.set(id.key, id.rv);
    }
  }

  /** Whether an ADDED/MODIFIED/DELETED event for `item` is newer than what was applied; records it when it is. */
  admit(type: 'upsert' | 'remove', item: Json): boolean {
    const id = identity(item);
    if (!id) return true;
    const known = this.#live.get(id.key) ?? this.#deleted.get(id.key);
    if (known !== undefined) {
      const order = compareVersions(id.rv, known);
      if (order !== undefined && order <= 0) return false;
    }
    if (type === 'upsert') {
      this.#deleted.delete(id.key);
      this.#live.set(id.key, id.rv);
    } else {
      this.#live.delete(id.key);
      this.#deleted.set(id.key, id.rv);
      if (this.#deleted.size > MAX_TOMBSTONES) this.#deleted.delete(this.#deleted.keys().next().value as string);
    }
    return true;
  }
}

function identity(item: Json): { key: string; rv: string } | undefined {
  const meta = item['metadata'];
  if (typeof meta !== 'object' || meta === null) return undefined;
  const m = meta as Json;
  if (typeof m['name'] !== 'string' || typeof m['resourceVersion'] !== 'string') return undefined;
  return { key: `${typeof m['namespace'] === 'string' ? m['namespace'] : ''}/${m['name']}`, rv: m['resourceVersion'] };
}
