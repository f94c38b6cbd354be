// The server's snapshot builder: the library's interning `SnapshotBuilder` (src/xds, which encodes, interns, checks
// with `consistent()` and publishes) plus what only the server keeps beside it: per-resource validation results keyed by
// the builder's content keys, and the per-service translations that outlive each model generation.
import { TranslationCache } from '../translate/index.ts';
import { ValidationCache } from '../validate/index.ts';
import { SnapshotBuilder } from '../xds/index.ts';

/** One per server: the xDS library's builder, with the validation and translation caches the server adds to it. */
export class SharedResources extends SnapshotBuilder {
  /**
   * Per-resource validation results, keyed by the same content key as the encoded copies: a resource seen before (by
   * any proxy, in any earlier build) is not validated again; only the cross-resource checks run per proxy.
   */
  readonly validation = new ValidationCache(200_000);
  /** Per-service translations reused across proxies and generations. */
  readonly translations = new TranslationCache();
}
