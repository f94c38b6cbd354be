// Paginated lists for the fake API server, as kube-apiserver serves them: a list with `limit` returns at most that many
// items and an opaque `continue` token; every later page is read from the same snapshot (the first page's
// resourceVersion) until the token expires, after which the server answers 410 Expired.

type Json = Record<string, unknown>;

interface Snapshot {
  readonly rv: number;
  readonly items: readonly Json[];
}

/** One page: its items, the snapshot's resourceVersion, the next token ('' on the last page), what is left. */
export interface Page {
  readonly rv: number;
  readonly items: readonly Json[];
  readonly continueToken: string;
  readonly remaining: number;
}

/** Snapshots kept for open paginations; the oldest are dropped past it (their tokens then expire). */
const MAX_SNAPSHOTS = 64;

/** The fake's list snapshots, by id, for continue tokens. */
export class Pager {
  readonly #snapshots = new Map<number, Snapshot>();
  #nextId = 1;

  /** The first page of `items` (read at `rv`); a `limit` of 0 or none returns everything. */
  first(items: readonly Json[], rv: number, limit: number): Page {
    if (!(limit > 0) || items.length <= limit) return { rv, items, continueToken: '', remaining: 0 };
    const id = this.#nextId++;
    this.#snapshots.set(id, { rv, items });
    if (this.#snapshots.size > MAX_SNAPSHOTS) this.#snapshots.delete(this.#snapshots.keys().next().value as number);
    return this.#page(id, 0, limit);
  }

  /** The page after `token`; undefined when the token is unknown or expired (the server then answers 410). */
  next(token: string, limit: number): Page | undefined {
    const parsed = decode(token);
    if (!parsed || !this.#snapshots.has(parsed.id)) return undefined;
    return this.#page(parsed.id, parsed.offset, limit > 0 ? limit : Number.MAX_SAFE_INTEGER);
  }

  /** A token that reads on from `token` without the snapshot (what a 410 offers for an inconsistent continuation). */
  inconsistent(token: string): string {
    const parsed = decode(token);
    return parsed ? encode(0, parsed.offset) : '';
  }

  /** Forgets every snapshot: every outstanding continue token is expired from now on. */
  expireAll(): void {
    this.#snapshots.clear();
  }

  #page(id: number, offset: number, limit: number): Page {
    const snap = this.#snapshots.get(id) as Snapshot;
    const items = snap.items.slice(offset, offset + limit);
    const end = offset + items.length;
    if (end >= snap.items.length) {
      this.#snapshots.delete(id);
      return { rv: snap.rv, items, continueToken: '', remaining: 0 };
    }
    return { rv: snap.rv, items, continueToken: encode(id, end), remaining: snap.items.length - end };
  }
}

function encode(id: number, offset: number): string {
  return Buffer.from(JSON.stringify({ v: 'fake.1', id, offset })).toString('base64url');
}

function decode(token: string): { id: number; offset: number } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Json;
    if (typeof parsed['id'] !== 'number' || typeof parsed['offset'] !== 'number') return undefined;
    return { id: parsed['id'], offset: parsed['offset'] };
  } catch {
    return undefined;
  }
}
