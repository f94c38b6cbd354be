// One proxy's snapshot from the current model: read the node into a Proxy, translate (Envoy sidecar or proxyless gRPC),
// encode through the shared content cache, validate, and say whether it may be published. Proxies that read the same
// (a sidecar: its view, namespace, interception and inbound ports, never its id or IPs) share one build per model, so
// 1,000 alike proxies cost one translation.
import { compareStrings } from '../compare-strings.ts';
import { indexModel, parseProxy } from '../model/index.ts';
import type { MeshModel, ModelIndex, Problem, Proxy, ProxyNode, ProxyResult } from '../model/index.ts';
import { buildProxyConfig, clientOf, generatedProblem, validationProblem } from '../pipeline/index.ts';
import { sidecarReadKey } from '../translate/index.ts';
import type { TranslationCache } from '../translate/index.ts';
import type { EnvoyResources, ForwardingStrategy } from '../translate/index.ts';
import type { ProxyConfig, ProxyResources } from '../pipeline/index.ts';
import { proxylessListener, translateProxyless } from '../translate/proxyless/index.ts';
import type { ProxylessResources } from '../translate/proxyless/index.ts';
import type { SetValidator, ValidationClient } from '../validate/index.ts';
import { validatedSet } from './set-validation.ts';
import { DEFAULT_TYPE_URLS, TypeUrl, sameSnapshot } from '../xds/index.ts';
import type { Resource, Snapshot, SnapshotType } from '../xds/index.ts';
import { typeLabel } from './metrics.ts';
import { nameTableType, withNameTableType } from './name-table.ts';
import { DEFAULT_SIZE_LIMITS, describeOversize, heaviestHost, oversize, resourceName } from './size-guard.ts';
import type { Oversize, SizeLimits } from './size-guard.ts';
import type { SharedResources } from './shared-resources.ts';

/** Everything a build reads that is the same for every proxy of one model generation. */
export interface BuildContext {
  readonly model: MeshModel;
  readonly index: ModelIndex;
  readonly strategy: ForwardingStrategy;
  /** Where mesh-wide PeerAuthentications live; undefined = the translator's default (`istio-system`). */
  readonly rootNamespace?: string;
  readonly shared: SharedResources;
  /** Builds of this generation by what they read (a sidecar's read key, a proxyless node without its id, plus on-demand names). */
  readonly memo: Map<string, TranslatedProxy>;
  /**
   * Proxyless views of this generation (by the proxy without its id): the full translation and every listener built
   * on demand by name, so a name many clients subscribe to is built once, and one client's names cost only its build.
   */
  readonly proxyless: Map<string, ProxylessView>;
  /** Per-service translations reused across proxies and generations (one per server: `SharedResources.translations`). */
  readonly translations: TranslationCache;
  /** Per type URL, what each translated array became (proxies of one view share arrays, so each is encoded once). */
  readonly encoded: Map<string, WeakMap<readonly object[], EncodedArray>>;
  /** Per client, the validator that remembers per array and per object what this generation's proxies share. */
  readonly validators: Map<ValidationClient, SetValidator>;
  /** Per client, the largest resource and response it is sent; bigger ones cost the service behind them. */
  readonly limits: Readonly<Record<ValidationClient, SizeLimits>>;
}

/** One translated array encoded: its Resources (or the encoding error) and, once asked, its interned SnapshotType. */
interface EncodedArray {
  readonly resources: readonly Resource[] | Error;
  type?: SnapshotType | Error;
}

/** One proxyless view's full translation (or why it failed) and its listeners built on demand by name. */
interface ProxylessView {
  readonly base: ProxylessResources | Error;
  readonly names: ReadonlySet<string>;
  readonly onDemand: Map<string, ProxylessResources['listeners'][number] | undefined>;
}

/** The translation of one kind of proxy: its snapshot, or why there is none. */
interface TranslatedProxy {
  readonly snapshot?: Snapshot;
  readonly plain?: EnvoyResources | ProxylessResources;
  readonly problems: readonly Problem[];
}

/** The outcome for one proxy: what to publish (undefined: keep the last good one) and every problem found. */
export interface ProxyBuild {
  readonly proxy?: Proxy;
  readonly snapshot?: Snapshot;
  /** True when a snapshot was built but failed validation or encoding, so the last good one stays. */
  readonly rejected: boolean;
  /** True when the snapshot equals the one already published (nothing to push). */
  readonly unchanged: boolean;
  readonly problems: readonly Problem[];
}

/** A new build context for a freshly built model. */
export function buildContext(
  model: MeshModel,
  index: ModelIndex,
  strategy: ForwardingStrategy,
  shared: SharedResources,
  limits: Readonly<Record<ValidationClient, SizeLimits>> = DEFAULT_SIZE_LIMITS,
  rootNamespace?: string,
): BuildContext {
  const translations = shared.translations;
  const root = rootNamespace !== undefined ? { rootNamespace } : {};
  return { model, index, strategy, ...root, shared, memo: new Map(), proxyless: new Map(), translations, encoded: new Map(), validators: new Map(), limits };
}

/**
 * Builds one proxy's snapshot. `listenerNames` are the LDS names its streams subscribed to (proxyless applications
 * name their own server listeners); `published` is its last good snapshot, compared to skip unchanged work; `parsed`
 * is `parseProxy(node, ctx.model)` when the caller kept it from an earlier generation (see BuildInputs).
 */
export function buildProxy(
  ctx: BuildContext,
  node: ProxyNode,
  listenerNames: ReadonlySet<string>,
  published: Snapshot | undefined,
  parsed: ProxyResult = parseProxy(node, ctx.model),
): ProxyBuild {
  const proxy = parsed.proxy;
  if (!proxy) return { rejected: false, unchanged: false, problems: parsed.problems };
  const plan = buildPlan(ctx, proxy, listenerNames);
  let translated = ctx.memo.get(plan.key);
  if (!translated) {
    translated = translateOne(ctx, proxy, plan);
    ctx.memo.set(plan.key, translated);
  }
  const problems = [...parsed.problems, ...translated.problems.map((p) => ({ ...p, origin: { ...p.origin, object: `Proxy/${proxy.id}` } }))];
  const snapshot = translated.snapshot;
  if (!snapshot) return { proxy, rejected: true, unchanged: false, problems };
  if (sameSnapshot(published, snapshot)) return { proxy, rejected: false, unchanged: true, problems };
  return { proxy, snapshot, rejected: false, unchanged: false, problems };
}

/** Where a proxy's build is memoised in its generation: the memo key, its proxyless view and its on-demand names. */
export interface BuildPlan {
  readonly key: string;
  /** The proxyless view (the proxy without its id, as JSON); '' for a sidecar. */
  readonly view: string;
  /** Subscribed listener names the proxyless view's full set lacks, built on demand. */
  readonly extras: readonly string[];
}

/** The plan of one proxy's build: proxies with one key read the same and share one build per generation. */
export function buildPlan(ctx: BuildContext, proxy: Proxy, listenerNames: ReadonlySet<string>): BuildPlan {
  const view = proxy.type === 'proxyless' ? JSON.stringify({ ...proxy, id: '' }) : '';
  // Only names the full proxyless set lacks (a server on its own port) are built on demand and make the build differ.
  const extras = proxy.type === 'proxyless' ? onDemandNames(proxylessView(ctx, view, proxy), listenerNames) : [];
  // Sidecars that read the same (view, namespace, interception, inbound ports, inbound mTLS) share one build, whatever their IPs.
  const reads = proxy.type === 'proxyless' ? view : `${proxy.type}\n${sidecarReadKey(ctx.translations, ctx.index, proxy, ctx.strategy, ctx.rootNamespace)}`;
  return { key: extras.length === 0 ? reads : JSON.stringify([reads, extras]), view, extras };
}

/**
 * The first translation of a plan (full index, the generation's caches), kept per generation and key so the build that
 * follows a prepared one (`prepare-build.ts`) starts from the very same arrays; undefined when translation fails.
 */
export function firstTranslation(ctx: BuildContext, proxy: Proxy, plan: BuildPlan): ProxyResources | undefined {
  let kept = firstTranslations.get(ctx);
  if (!kept) firstTranslations.set(ctx, (kept = new Map()));
  if (!kept.has(plan.key)) {
    const built = buildProxyConfig(ctx.index, proxy, { ...translateOptions(ctx), proxyless: (_at, p) => proxylessResources(ctx, proxylessView(ctx, plan.view, p), p, plan.extras), check: () => [] });
    kept.set(plan.key, built);
  }
  return kept.get(plan.key)?.resources;
}

/** A sidecar's name table for its plan, made once per generation and key (so a prepared build finds it made). */
export function planNameTable(ctx: BuildContext, proxy: Proxy, plan: BuildPlan): SnapshotType {
  let kept = nameTables.get(ctx);
  if (!kept) nameTables.set(ctx, (kept = new Map()));
  let type = kept.get(plan.key);
  if (!type) kept.set(plan.key, (type = nameTableType(ctx.shared, ctx.index, proxy)));
  return type;
}

/** Per generation, each sidecar plan's name table. */
const nameTables = new WeakMap<BuildContext, Map<string, SnapshotType>>();

/** Per generation, the first translation of each plan key that was prepared before its build. */
const firstTranslations = new WeakMap<BuildContext, Map<string, ProxyConfig>>();

function translateOptions(ctx: BuildContext): { strategy: ForwardingStrategy; rootNamespace?: string; cache: TranslationCache } {
  return { strategy: ctx.strategy, ...(ctx.rootNamespace !== undefined ? { rootNamespace: ctx.rootNamespace } : {}), cache: ctx.translations };
}

/**
 * Translates, encodes and validates one proxy (the memoised part of `buildProxy`) through `buildProxyConfig`, whose
 * check here encodes, guards sizes (leaving the heaviest service out and building again) and then validates.
 */
function translateOne(ctx: BuildContext, proxy: Proxy, plan: BuildPlan): TranslatedProxy {
  const { view, extras } = plan;
  const dropped: Problem[] = [];
  let without = new Set<string>();
  for (let round = 0; ; round++) {
    const index = without.size === 0 ? ctx.index : indexWithout(ctx, without);
    let outcome: SizedOutcome = { kind: 'invalid' };
    // A prepared plan's first round checks the translation its preparation made (same arrays, so every cache hits).
    const prepared = round === 0 ? firstTranslations.get(ctx)?.get(plan.key) : undefined;
    const check = (plain: ProxyResources, client: ValidationClient): readonly Problem[] => {
      outcome = encodedAndSized(ctx, plain, client);
      return outcome.kind === 'fits' ? validatedSet(ctx, client, plain).map((p) => validationProblem(p, typeLabel)) : outcome.problems ?? [];
    };
    const built = prepared?.resources ? { ...prepared, problems: check(prepared.resources, clientOf(proxy)) } : buildProxyConfig(index, proxy, {
      strategy: ctx.strategy,
      ...(ctx.rootNamespace !== undefined ? { rootNamespace: ctx.rootNamespace } : {}),
      ...(without.size === 0 ? { cache: ctx.translations } : {}),
      proxyless: (at, p) => (without.size === 0 ? proxylessResources(ctx, proxylessView(ctx, view, p), p, extras) : proxylessWithout(at, p, extras)),
      // Encoding comes first, so the validator skips its own encoder round trip (roundTrip: false in validationOptions).
      check,
    });
    const plain = built.resources;
    if (!plain) return { problems: [...dropped, ...built.problems] };
    const leftOut = built.leftOut;
    const client = clientOf(proxy);
    const sized = outcome as SizedOutcome;
    if (sized.kind === 'over') {
      const over = sized.over;
      const host = round < MAX_DROPPED ? heaviestHost(oversizedValues(plain, over), servedHosts(index)) : undefined;
      if (host === undefined) {
        const why = round < MAX_DROPPED ? 'no service could be found behind it' : `${MAX_DROPPED} services were left out already`;
        return { plain, problems: [...dropped, generatedProblem('error', `${describeOversize(over)} for ${client} clients and ${why}; the last good configuration stays`)] };
      }
      dropped.push(droppedProblem(ctx, host, over, client));
      without = new Set([...without, host]);
      continue;
    }
    if (sized.kind !== 'fits' || built.problems.length > 0) return { plain, problems: [...dropped, ...leftOut, ...built.problems] };
    const snapshot = proxy.type === 'sidecar' ? withNameTableType(sized.snapshot, planNameTable(ctx, proxy, plan)) : sized.snapshot;
    return { plain, snapshot, problems: [...dropped, ...leftOut] };
  }
}

/** What encoding and the size guard made of one translation: a snapshot that fits, one too big, or an encoding error. */
type SizedOutcome =
  | { readonly kind: 'fits'; readonly snapshot: Snapshot }
  | { readonly kind: 'over'; readonly over: Oversize; readonly problems?: undefined }
  | { readonly kind: 'invalid'; readonly problems?: readonly Problem[] };

/** Encodes one translation through the generation's caches and checks it against the client's size limits. */
function encodedAndSized(ctx: BuildContext, plain: EnvoyResources | ProxylessResources, client: ValidationClient): SizedOutcome {
  let snapshot: Snapshot;
  try {
    snapshot = snapshotOf(ctx, plain);
  } catch (err) {
    return { kind: 'invalid', problems: [generatedProblem('error', `encoding failed: ${(err as Error).message}`)] };
  }
  const over = oversize(snapshot, ctx.limits[client])[0];
  return over ? { kind: 'over', over } : { kind: 'fits', snapshot };
}

/** The most services one proxy's build leaves out for size before it gives up and keeps the last good snapshot. */
const MAX_DROPPED = 16;

/** The index of this generation's model without the services of `hosts` (and their endpoints). */
function indexWithout(ctx: BuildContext, hosts: ReadonlySet<string>): ModelIndex {
  const model = ctx.model;
  return indexModel({
    ...model,
    services: model.services.filter((s) => !hosts.has(s.hostname)),
    endpoints: model.endpoints.filter((e) => !hosts.has(e.service)),
  });
}

function servedHosts(index: ModelIndex): Set<string> {
  return new Set(index.servicesByHostname.keys());
}

/** The translated values behind an oversize: the one resource, or every resource of its type. */
function oversizedValues(plain: EnvoyResources | ProxylessResources, over: Oversize): readonly object[] {
  const list = typeLists(plain).find(([url]) => url === over.typeUrl)?.[1] ?? [];
  return over.name === undefined ? list : list.filter((value) => resourceName(value) === over.name);
}

/** The problem a service left out for size is reported as: where the service comes from, and what was too big. */
function droppedProblem(ctx: BuildContext, host: string, over: Oversize, client: ValidationClient): Problem {
  const origin = ctx.index.servicesByHostname.get(host)?.origin ?? {};
  const message = `service ${host} is not sent to this proxy: ${describeOversize(over)} for ${client} clients`;
  return { severity: 'error', message, origin: { ...origin, source: origin.source ?? 'generated' } };
}

/** The generation's full proxyless translation for a view, made on first use. */
function proxylessView(ctx: BuildContext, view: string, proxy: Proxy): ProxylessView {
  let found = ctx.proxyless.get(view);
  if (!found) {
    const base = attempt(() => translateProxyless(ctx.index, proxy));
    const names = new Set(base instanceof Error ? [] : base.listeners.map((l) => l.name));
    ctx.proxyless.set(view, (found = { base, names, onDemand: new Map() }));
  }
  return found;
}

/** The subscribed listener names the view's full set lacks, sorted. */
function onDemandNames(view: ProxylessView, subscribed: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const name of subscribed) if (!view.names.has(name)) out.push(name);
  return out.sort();
}

/** The proxyless resources plus any subscribed listener (e.g. a server on an ephemeral port) the full set lacks. */
function proxylessResources(ctx: BuildContext, view: ProxylessView, proxy: Proxy, extras: readonly string[]): ProxylessResources {
  const base = view.base;
  if (base instanceof Error) throw base;
  const added = extras.flatMap((name) => {
    if (!view.onDemand.has(name)) view.onDemand.set(name, proxylessListener(ctx.index, proxy, name));
    return view.onDemand.get(name) ?? [];
  });
  if (added.length === 0) return base;
  const listeners = [...base.listeners, ...added].sort((a, b) => compareStrings(a.name, b.name));
  return { ...base, listeners };
}

/** The proxyless resources from an index that leaves services out for size: built directly, never shared. */
function proxylessWithout(index: ModelIndex, proxy: Proxy, extras: readonly string[]): ProxylessResources {
  const base = translateProxyless(index, proxy);
  const have = new Set(base.listeners.map((l) => l.name));
  const added = extras.filter((name) => !have.has(name)).flatMap((name) => proxylessListener(index, proxy, name) ?? []);
  return added.length === 0 ? base : { ...base, listeners: [...base.listeners, ...added].sort((a, b) => compareStrings(a.name, b.name)) };
}

/** The proxy's four types in the order `encodeAll` used to encode them (so the first encoding error is the same). */
export function typeLists(plain: EnvoyResources | ProxylessResources): readonly (readonly [string, readonly object[]])[] {
  return [
    [TypeUrl.Listener, plain.listeners],
    [TypeUrl.Cluster, plain.clusters],
    [TypeUrl.RouteConfiguration, plain.routes],
    [TypeUrl.ClusterLoadAssignment, plain.endpoints],
  ];
}

/** Encodes and interns each of the four arrays once per generation; throws the first encoding or naming error. */
function snapshotOf(ctx: BuildContext, plain: EnvoyResources | ProxylessResources): Snapshot {
  const arrays = new Map<string, EncodedArray>();
  for (const [url, list] of typeLists(plain)) {
    const entry = encodedArray(ctx, url, list);
    if (entry.resources instanceof Error) throw entry.resources;
    arrays.set(url, entry);
  }
  const types = new Map<string, SnapshotType>();
  for (const url of [...DEFAULT_TYPE_URLS].sort()) {
    const entry = arrays.get(url);
    if (!entry) continue;
    const type = internedType(ctx, url, entry);
    if (type instanceof Error) throw type;
    types.set(url, type);
  }
  return { types };
}

/** One translated array encoded and its set interned, as `snapshotOf` will find them (errors are kept, not thrown). */
export function encodeArray(ctx: BuildContext, typeUrl: string, list: readonly object[]): void {
  internedType(ctx, typeUrl, encodedArray(ctx, typeUrl, list));
}

/** The array's interned SnapshotType (or why there is none), made once. */
function internedType(ctx: BuildContext, url: string, entry: EncodedArray): SnapshotType | Error {
  const resources = entry.resources;
  if (resources instanceof Error) return resources;
  if (entry.type === undefined) entry.type = attempt(() => ctx.shared.snapshotType(url, resources));
  return entry.type;
}

function encodedArray(ctx: BuildContext, typeUrl: string, list: readonly object[]): EncodedArray {
  let byArray = ctx.encoded.get(typeUrl);
  if (!byArray) ctx.encoded.set(typeUrl, (byArray = new WeakMap()));
  let entry = byArray.get(list);
  if (!entry) {
    entry = { resources: attempt(() => list.map((value) => ctx.shared.resource(typeUrl, value as Readonly<Record<string, unknown>>))) };
    byArray.set(list, entry);
  }
  return entry;
}

function attempt<T>(work: () => T): T | Error {
  try {
    return work();
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
