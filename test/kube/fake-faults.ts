// The faults the fake API server can be told to inject, and the answers they give: refused requests (401, 403 by RBAC
// rule, 429 with Retry-After, 504 too large resource version, any status), list bodies cut mid-way, and damaged
// event delivery (malformed lines, lines cut by a connection reset, events out of resourceVersion order).
import { forbidden, forbiddenPath, status, tooLargeResourceVersion, tooManyRequests, unauthorized, type FakeResource } from './fake-protocol.ts';

type Json = Record<string, unknown>;
export type Verb = 'list' | 'watch';

/** A refused request: status, Status body, extra headers. */
export interface Refusal {
  readonly code: number;
  readonly body: Json;
  readonly headers: Readonly<Record<string, string>>;
}

interface Planned {
  count: number;
  readonly refusal: (asked: number, current: number) => Refusal;
}

/** How an event is delivered to the open watches. */
export type Delivery = 'normal' | 'corrupt' | 'cut';

/** What the fake is currently told to break. */
export class FakeFaults {
  /** Every request answers 401 while true. */
  rejectCredentials = false;
  readonly #denied = new Set<string>();
  readonly #planned = new Map<string, Planned>();
  readonly #cutLists = new Map<string, number>();
  #corrupt = 0;
  #cut = 0;
  #reorder = 0;
  readonly #held: unknown[] = [];

  /** `verb` on `kind` answers 403 until allowed again. */
  deny(verb: Verb, kind: string): void {
    this.#denied.add(`${verb} ${kind}`);
  }

  /** API discovery (`GET /apis`) answers 403 until allowed again. */
  denyDiscovery(): void {
    this.#denied.add('get /apis');
  }

  /** The 403 for discovery, while it is denied. */
  discoveryRefusal(): Refusal | undefined {
    if (!this.#denied.has('get /apis')) return undefined;
    return { code: 403, body: forbiddenPath('/apis'), headers: {} };
  }

  /** Lifts every denial. */
  allowAll(): void {
    this.#denied.clear();
  }

  /** The next `count` `verb` requests on `kind` answer with `code` (429 carries Retry-After, 504 is "too large"). */
  failNext(verb: Verb, kind: string, count: number, code: number, retryAfterSeconds = 1): void {
    const refusal = (asked: number, current: number): Refusal => {
      if (code === 429) return { code, body: tooManyRequests(retryAfterSeconds), headers: { 'retry-after': String(retryAfterSeconds) } };
      if (code === 504) return { code, body: tooLargeResourceVersion(asked, current), headers: {} };
      return { code, body: status(code, 'InternalError'), headers: {} };
    };
    this.#planned.set(`${verb} ${kind}`, { count, refusal });
  }

  /** Planned failures end. */
  clearPlanned(): void {
    this.#planned.clear();
  }

  /** The next `count` lists of `kind` send half their body and then reset the connection. */
  cutNextLists(kind: string, count = 1): void {
    this.#cutLists.set(kind, count);
  }

  /** The next `count` events reach every watch as malformed lines (the event itself is not delivered). */
  corruptNextEvents(count = 1): void {
    this.#corrupt = count;
  }

  /** The next event reaches every watch cut in the middle of its line, and the watch connections are reset. */
  cutNextEvent(): void {
    this.#cut = 1;
  }

  /** The next `count` events are held back and then delivered newest first. */
  reorderNextEvents(count: number): void {
    this.#reorder = count;
  }

  /** The refusal for a request, if any fault applies (401 first, then RBAC, then planned failures). */
  refusal(verb: Verb, resource: FakeResource, namespace: string | undefined, asked: number, current: number): Refusal | undefined {
    if (this.rejectCredentials) return { code: 401, body: unauthorized(), headers: {} };
    if (this.#denied.has(`${verb} ${resource.kind}`)) return { code: 403, body: forbidden(verb, resource, namespace), headers: {} };
    const planned = this.#planned.get(`${verb} ${resource.kind}`);
    if (!planned) return undefined;
    if (--planned.count <= 0) this.#planned.delete(`${verb} ${resource.kind}`);
    return planned.refusal(asked, current);
  }

  /** Whether this list of `kind` is to be cut mid-body (counts it). */
  cutThisList(kind: string): boolean {
    const left = this.#cutLists.get(kind) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.#cutLists.delete(kind);
    else this.#cutLists.set(kind, left - 1);
    return true;
  }

  /** How the next event goes out; counts it. */
  nextDelivery(): Delivery {
    if (this.#corrupt > 0) {
      this.#corrupt--;
      return 'corrupt';
    }
    if (this.#cut > 0) {
      this.#cut--;
      return 'cut';
    }
    return 'normal';
  }

  /**
   * Events to send now for an emitted `event`: itself, nothing while reordering holds it back, or every held event
   * newest first once the last one to reorder arrives.
   */
  order<T>(event: T): T[] {
    if (this.#reorder <= 0) return [event];
    this.#held.push(event);
    if (--this.#reorder > 0) return [];
    return (this.#held.splice(0) as T[]).reverse();
  }
}

/** A watch line damaged in transit: the event's JSON with its tail replaced by garbage. */
export function corruptLine(line: string): string {
  return `${line.slice(0, Math.floor(line.length / 2))}\u0000}{garbage\n`;
}
