// The first build of a plan in a generation (a view's outbound arrays translated, encoded, interned and validated) is
// the server's longest piece of work. `prepareBuild` does it ahead of the build in slices, yielding between them, into
// the very caches the synchronous `buildProxy` reads: the kept first translation, the generation's encoded arrays and
// interned sets, the content-keyed per-resource validation results, the set validator's result for that translation
// and a sidecar's name table. The build that follows then only finds what was prepared, so its output is the synchronous path's,
// byte for byte (a failure on the way is left for the build to find and report, as it would without preparing).
import type { Proxy } from '../model/index.ts';
import { clientOf } from '../pipeline/index.ts';
import { validateResource } from '../validate/index.ts';
import { buildPlan, encodeArray, firstTranslation, planNameTable, typeLists } from './proxy-build.ts';
import { validatedSet, validationOptions } from './set-validation.ts';
import type { BuildContext } from './proxy-build.ts';

/** How preparing paces itself: how it yields, and how long one slice may run before it does. */
export interface PrepareOptions {
  /** Default `setImmediate`, so pending I/O (requests, ACKs, timers) is served between slices. */
  readonly pause?: () => Promise<void>;
  /** Default 5 ms. */
  readonly sliceMs?: number;
}

const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Per generation, the preparations by plan key (one per key, shared by every proxy of it): running, or done. */
const preparations = new WeakMap<BuildContext, Map<string, Promise<void> | 'done'>>();

/** A preparation a push waits for: its promise, and whether this call started it (the rest joined it). */
export interface Preparing {
  readonly done: Promise<void>;
  readonly started: boolean;
}

/**
 * Prepares the build of `proxy` in `ctx` in slices; undefined when there is nothing (left) to prepare (the generation
 * built or prepared that plan already), else the preparation, shared by every proxy of the plan, that resolves once done.
 */
export function prepareBuild(ctx: BuildContext, proxy: Proxy, listenerNames: ReadonlySet<string>, options: PrepareOptions = {}): Preparing | undefined {
  const plan = buildPlan(ctx, proxy, listenerNames);
  if (ctx.memo.has(plan.key)) return undefined;
  let byKey = preparations.get(ctx);
  if (!byKey) preparations.set(ctx, (byKey = new Map()));
  const known = byKey.get(plan.key);
  if (known === 'done') return undefined;
  if (known) return { done: known, started: false };
  const running = prepare(ctx, proxy, plan, options.pause ?? immediate, options.sliceMs ?? 5)
    .catch(() => undefined) // the build finds the same failure and reports it
    .then(() => void byKey.set(plan.key, 'done'));
  byKey.set(plan.key, running);
  return { done: running, started: true };
}

/** The slices: translate; encode each type's values, then intern each set; validate each value; the set; the name table. */
async function prepare(ctx: BuildContext, proxy: Proxy, plan: ReturnType<typeof buildPlan>, pause: () => Promise<void>, sliceMs: number): Promise<void> {
  await pause();
  const plain = firstTranslation(ctx, proxy, plan);
  if (!plain) return;
  let turn = performance.now();
  const slice = async (): Promise<void> => {
    if (performance.now() - turn < sliceMs) return;
    await pause();
    turn = performance.now();
  };
  await pause();
  turn = performance.now();
  const lists = typeLists(plain);
  for (const [url, list] of lists) {
    for (const value of list) {
      ctx.shared.resource(url, value as Readonly<Record<string, unknown>>); // throws on a bad resource: the build reports it
      await slice();
    }
  }
  for (const [url, list] of lists) {
    encodeArray(ctx, url, list);
    await slice();
  }
  const client = clientOf(proxy);
  const options = validationOptions(ctx, client);
  for (const [url, list] of lists) {
    for (const value of list) {
      validateResource(url, value, options);
      await slice();
    }
  }
  await pause();
  validatedSet(ctx, client, plain);
  if (proxy.type !== 'sidecar') return;
  await pause();
  planNameTable(ctx, proxy, plan);
}
