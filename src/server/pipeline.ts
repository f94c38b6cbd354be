// `biplane serve` wired: sources → debounce → buildModel → for each connected proxy: parseProxy, translate, validate →
// snapshot → the xDS cache pushes it. Admin pages and metrics read the same state. `startServer` runs it in-process.
import type { MeshModel, Problem } from '../model/index.ts';
import type { Source, SourceChange } from '../sources/types.ts';
import type { ForwardingStrategy } from '../translate/index.ts';
import { SnapshotCache, XdsServer, snapshotConfigDump } from '../xds/index.ts';
import type { SharingStats, StreamLimits } from '../xds/index.ts';
import { startAdmin } from './admin.ts';
import { startTlsPort } from './secure-port.ts';
import { endDeniedStreams } from './xds-auth.ts';
import type { TlsPort, TlsPortOptions } from './secure-port.ts';
import type { AdminServer, Readiness } from './admin.ts';
import { Debouncer } from './debounce.ts';
import type { MergedChange } from './debounce.ts';
import { LogLimiter } from './log-limit.ts';
import type { LogLimitOptions } from './log-limit.ts';
import { serverMetrics } from './metrics.ts';
import type { MetricsRegistry } from './metrics.ts';
import { ProxyRegistry, proxyKey } from './proxies.ts';
import { ModelGenerations } from './generations.ts';
import { LoopDelay } from './loop-delay.ts';
import { Pusher } from './pusher.ts';
import type { PusherOptions } from './pusher.ts';
import type { BuildContext } from './proxy-build.ts';
import { SharedResources } from './shared-resources.ts';
import { DEFAULT_SIZE_LIMITS } from './size-guard.ts';
import type { SizeLimits } from './size-guard.ts';
import { SyncStatus } from './sync-status.ts';
import { wireEvents } from './stream-events.ts';
import { problemsPage, registryz, syncz } from './debug-pages.ts';
import { ChangeFeed } from './ui/events.ts';
import { uiView } from './ui/view.ts';

/** istiod's plaintext xDS port, on both loopback families. */
export const DEFAULT_XDS_ADDRESSES: readonly string[] = ['127.0.0.1:15010', '[::1]:15010'];
/** Largest response one stream is sent by default (a bigger one ends it with RESOURCE_EXHAUSTED). */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Most on-demand server listener names one stream may subscribe to by default (RESOURCE_EXHAUSTED past it). */
export const DEFAULT_MAX_SERVER_LISTENERS = 256;
/** istiod's monitoring port, loopback. */
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:15014';

/** How `startServer` is set up; only `source` is required. */
export interface ServerOptions {
  /** Where objects come from (a FileSource, a KubeSource); started and stopped by the server. */
  readonly source: Source;
  /** xDS listen addresses ("host:port", "[v6]:port", port 0 = ephemeral); default 127.0.0.1:15010 and [::1]:15010. */
  readonly xdsAddresses?: readonly string[];
  /** Admin HTTP address; `false` for none. Default 127.0.0.1:15014. */
  readonly adminAddress?: string | false;
  /** Bearer token the admin pages require (all but `/ready`); needed for a non-loopback admin address. */
  readonly adminToken?: string;
  /** The TLS xDS port (default address `[::]:15012`), its certificate files and its authenticator; none by default. */
  readonly tls?: TlsPortOptions;
  readonly strategy?: ForwardingStrategy;
  /** Where mesh-wide PeerAuthentications live (default `istio-system`, as in Istio). */
  readonly rootNamespace?: string;
  /** Quiet time before a rebuild (default 100 ms) and the longest a burst may delay it (default 1000 ms). */
  readonly debounceMs?: number;
  readonly debounceMaxMs?: number;
  /** Where log lines go (default: nowhere). */
  readonly log?: (line: string) => void;
  /** Size limits per client (`envoy`, `grpc`) over the defaults; a service whose resources exceed them is not sent. */
  readonly sizeLimits?: { readonly envoy?: Partial<SizeLimits>; readonly grpc?: Partial<SizeLimits> };
  /** Per-stream limits (node id and metadata size, type URLs, NACK error length, response size); see StreamLimits. */
  readonly streamLimits?: Omit<StreamLimits, 'maxNames'>;
  /** Most proxyless server listener names (`grpc/server?...`, built on demand) one stream may subscribe to (default 256). */
  readonly maxServerListeners?: number;
  /** Budget of log lines about one client (default 20 per minute per node id). */
  readonly logLimits?: LogLimitOptions;
  /** How pushes are paced (batch per event-loop turn, most in flight, how it yields, first builds in slices); see Pusher. */
  readonly push?: PusherOptions;
}

/** A running server: its bound addresses, its state for tests and benchmarks, and `stop`. */
export interface ServerHandle {
  readonly xdsAddresses: readonly string[];
  readonly xdsPorts: readonly number[];
  /** The TLS port's bound addresses (empty without TLS) and its certificate files' state. */
  readonly tlsAddresses: readonly string[];
  readonly tls: TlsPort | undefined;
  readonly adminAddress: string | undefined;
  readonly adminPort: number | undefined;
  readonly metrics: MetricsRegistry;
  readonly xds: XdsServer;
  /** The current model (undefined before the first build). */
  model(): MeshModel | undefined;
  /** Connected proxies, and how well encoded resources are shared. */
  stats(): {
    readonly proxies: number;
    readonly sharing: SharingStats;
    readonly validation: { readonly hits: number; readonly misses: number };
    readonly builds: number;
    /** The push queue: proxies waiting, proxies rebuilt and proxies skipped as untouched since the start. */
    readonly pushes: { readonly queued: number; readonly built: number; readonly skipped: number };
  };
  /** Resolves once no rebuild is waiting or running (a test's "the change has been applied"). */
  settled(): Promise<void>;
  /** Stops sources, admin and xDS (streams ended with OK, forced after a grace period); safe to call twice. */
  stop(): Promise<void>;
}

/** Starts everything: binds xDS and admin, starts the source, builds the first model. Rejects with a clear error. */
export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  const s = serverParts(options);
  const rebuild = rebuilder(s);
  const debouncer = new Debouncer({ quietMs: options.debounceMs ?? 100, maxMs: options.debounceMaxMs ?? 1000 }, rebuild);
  let unsubscribe: (() => void) | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      unsubscribe?.();
      await debouncer.stop();
      await stopParts(s);
    })());
  try {
    const xdsAddresses = await listenXds(s);
    if (options.tls) s.tls = await startTlsPort(s.xds, options.tls, () => s.live.ctx?.model, TLS_GRPC_OPTIONS, (line) => s.clientLog.log('xds-tls-refusals', line));
    if (options.adminAddress !== false) {
      s.admin = await startAdmin(options.adminAddress ?? DEFAULT_ADMIN_ADDRESS, adminHandlers(s), options.adminToken !== undefined ? { token: options.adminToken } : {});
    }
    await options.source.start();
    unsubscribe = options.source.onChange((change: SourceChange) => debouncer.add(change));
    await rebuild(undefined);
    return serverHandle(s, xdsAddresses, () => waitSettled(debouncer, s.pusher), stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What changes as the server runs: the current build context and what the last rebuild left behind. */
interface LiveState {
  ctx: BuildContext | undefined;
  modelProblems: readonly Problem[];
  builds: number;
  appliedAt: number | undefined;
  buildFailure: string | undefined;
}

/** The running server's parts, made once by `serverParts`; `tls` and `admin` are set once they listen. */
interface ServerParts {
  readonly options: ServerOptions;
  readonly log: (line: string) => void;
  readonly metrics: MetricsRegistry;
  readonly xds: XdsServer;
  readonly shared: SharedResources;
  readonly sync: SyncStatus;
  /** Lines about one client (connects, NACKs, pushes) are budgeted per node id, so no client can flood the log. */
  readonly clientLog: LogLimiter;
  readonly registry: ProxyRegistry;
  readonly pusher: Pusher;
  readonly loopDelay: LoopDelay;
  /** The web view hears of every model build and every sync change (coalesced), and fetches what it shows. */
  readonly feed: ChangeFeed;
  readonly generations: ModelGenerations;
  readonly live: LiveState;
  tls?: TlsPort;
  admin?: AdminServer;
}

const TLS_GRPC_OPTIONS = { 'grpc.max_receive_message_length': 4 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 };

/** Makes the server's parts and connects the ADS server's events to them; nothing listens yet. */
function serverParts(options: ServerOptions): ServerParts {
  const log = options.log ?? ((): void => undefined);
  const metrics = serverMetrics();
  const cache = new SnapshotCache();
  const streamLimits = { maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES, ...options.streamLimits };
  const xds = new XdsServer({ cache, snapshotKey: proxyKey, streamLimits });
  const shared = new SharedResources();
  const clientLog = new LogLimiter(log, options.logLimits);
  const limits = {
    envoy: { ...DEFAULT_SIZE_LIMITS.envoy, ...options.sizeLimits?.envoy },
    grpc: { ...DEFAULT_SIZE_LIMITS.grpc, ...options.sizeLimits?.grpc },
  };
  const live: LiveState = { ctx: undefined, modelProblems: [], builds: 0, appliedAt: undefined, buildFailure: undefined };
  const feed = new ChangeFeed();
  const registry = new ProxyRegistry(cache, publishHooks(metrics, clientLog, feed, log));
  // Pushes go through one queue (new connections first, batches with yields) and skip proxies nothing changed for.
  const pusher = new Pusher(registry, () => live.ctx, metrics, options.push);
  const sync = new SyncStatus();
  const maxServerListeners = options.maxServerListeners ?? DEFAULT_MAX_SERVER_LISTENERS;
  wireEvents(xds, registry, pusher, sync, metrics, clientLog, maxServerListeners, () => live.ctx, (topic) => feed.notify(topic));
  // Incremental: only objects whose instance changed are converted again, only affected services re-merged/re-indexed.
  const generations = new ModelGenerations(options.strategy ?? 'shared', shared, limits, options.rootNamespace);
  return { options, log, metrics, xds, shared, sync, clientLog, registry, pusher, loopDelay: new LoopDelay(), feed, generations, live };
}

/** What the proxy registry reports about each publish and each rejected snapshot. */
function publishHooks(metrics: MetricsRegistry, clientLog: LogLimiter, feed: ChangeFeed, log: (line: string) => void): ConstructorParameters<typeof ProxyRegistry>[1] {
  const loggedDrops = new Set<string>();
  return {
    published(entry, since, sendSeconds) {
      metrics.observe('pilot_xds_send_time', sendSeconds);
      if (since !== undefined) metrics.observe('pilot_proxy_convergence_time', (performance.now() - since) / 1000);
      clientLog.log(entry.nodeId, `push ${entry.nodeId}: ${[...(entry.published?.types.values() ?? [])].reduce((n, t) => n + t.resources.size, 0)} resources`);
      logOnce(entry.problems.filter((p) => p.severity === 'error').map((p) => `${entry.nodeId}: ${p.message}`), loggedDrops, log);
      feed.notify('sync');
    },
    rejected(entry) {
      metrics.inc('biplane_snapshot_rejections');
      const first = entry.problems.find((p) => p.severity === 'error');
      clientLog.log(entry.nodeId, `snapshot for ${entry.nodeId} failed validation, keeping the last good one: ${first?.message ?? 'unknown problem'}`);
    },
  };
}

/** The debounced rebuild: a new model generation, then a push to every proxy. The first is built in one go (nothing
 * is connected yet); later ones yield between their stages. A failed build keeps the last good model serving. */
function rebuilder(s: ServerParts): (change: MergedChange | undefined) => Promise<void> {
  const reported = new Set<string>();
  const { live, metrics, log } = s;
  return async (change) => {
    const started = performance.now();
    try {
      const objects = s.options.source.objects();
      const { ctx: next, problems, check } = change ? await s.generations.nextYielding(objects, yieldTurn) : s.generations.next(objects);
      live.ctx = next;
      const model = next.model;
      logNewErrors(check.problems, reported, log);
      live.modelProblems = [...problems, ...check.problems];
      live.builds += 1;
      metrics.inc('biplane_model_builds');
      metrics.set('pilot_services', model.services.length);
      if (s.tls) endDeniedStreams(s.xds, model, log);
      s.pusher.pushAll(change?.since);
      void s.pusher.idle().then(() => metrics.observe('pilot_xds_push_time', (performance.now() - started) / 1000));
      live.appliedAt = Date.now();
      live.buildFailure = undefined;
      s.feed.notify('model');
      log(`model ${live.builds}: ${model.services.length} services, ${model.endpoints.length} endpoints, ${model.pods.length} pods, ${problems.length} problems; ${s.registry.size} proxies`);
    } catch (err) {
      s.generations.startOver(); // convert everything again next time; `live.ctx` keeps the last good model
      live.buildFailure = (err as Error).message ?? String(err);
      log(`model build failed, keeping the previous one: ${(err as Error).stack ?? String(err)}`);
    }
  };
}

/** Binds the plaintext xDS addresses; a taken address says what probably holds it. */
function listenXds(s: ServerParts): Promise<string[]> {
  return s.xds.listen(s.options.xdsAddresses ?? DEFAULT_XDS_ADDRESSES).catch((err: Error) => {
    const inUse = /EADDRINUSE/.test(err.message) ? ' (address already in use: is another biplane or istiod running? pick another with --xds-address)' : '';
    throw new Error(`${err.message.split(' errors: ')[0] ?? err.message}${inUse}`);
  });
}

/** Stops the push queue, the source, admin and both xDS ports (streams ended, forced after a grace period). */
async function stopParts(s: ServerParts): Promise<void> {
  s.pusher.stop();
  s.loopDelay.stop();
  await s.options.source.stop().catch((err: Error) => s.log(`source stop: ${err.message}`));
  await s.admin?.close();
  const closing = s.xds.close(2000);
  await s.tls?.close(2000);
  await closing;
}

/** What the admin HTTP server answers: readiness, the debug pages, the UI and the metrics. */
function adminHandlers(s: ServerParts): Parameters<typeof startAdmin>[1] {
  const { live, registry, options } = s;
  const problems = (): ReturnType<typeof problemsPage> => problemsPage(options.source.problems(), live.modelProblems, registry.entries());
  return {
    readiness: () => readiness(live.ctx !== undefined, live.buildFailure, options.source),
    syncz: () => syncz(registry.entries(), s.xds.streams(), s.sync),
    configDump: (id) => {
      const entry = registry.byNodeId(id)[0];
      return entry?.published ? snapshotConfigDump(entry.published, new Date(entry.publishedAt ?? Date.now())) : undefined;
    },
    registryz: () => registryz(live.ctx?.model),
    ui: { feed: s.feed, view: uiView({ context: () => live.ctx, connected: (id) => registry.byNodeId(id)[0]?.proxy }) },
    problems,
    metrics: () => metricsPage(s, problems() as { counts: { errors: number; warnings: number } }),
  };
}

/** `/metrics`: the gauges read at scrape time, then every metric in the Prometheus text format. */
function metricsPage(s: ServerParts, current: { counts: { errors: number; warnings: number } }): string {
  const { metrics, xds } = s;
  metrics.set('pilot_xds', xds.streams().length);
  metrics.set('biplane_push_queue_length', s.pusher.length);
  metrics.set('biplane_pushes_in_flight', xds.streams().filter((st) => st.status().some((t) => t.pending)).length);
  s.loopDelay.report(metrics);
  if (s.live.appliedAt !== undefined) metrics.set('biplane_last_applied_seconds', (Date.now() - s.live.appliedAt) / 1000);
  metrics.set('biplane_shared_resources', s.shared.stats().alive);
  metrics.set('biplane_problems', current.counts.errors, { severity: 'error' });
  metrics.set('biplane_problems', current.counts.warnings, { severity: 'warning' });
  return metrics.render();
}

/** The running server as its caller sees it. */
function serverHandle(s: ServerParts, xdsAddresses: readonly string[], settled: () => Promise<void>, stop: () => Promise<void>): ServerHandle {
  const { live, shared, pusher } = s;
  return {
    xdsAddresses,
    xdsPorts: xdsAddresses.filter((a) => !a.startsWith('unix:')).map((a) => Number(a.slice(a.lastIndexOf(':') + 1))),
    tlsAddresses: s.tls?.addresses ?? [],
    tls: s.tls,
    adminAddress: s.admin?.address,
    adminPort: s.admin?.port,
    metrics: s.metrics,
    xds: s.xds,
    model: () => live.ctx?.model,
    stats: () => ({
      proxies: s.registry.size,
      sharing: shared.stats(),
      validation: { hits: shared.validation.hits, misses: shared.validation.misses },
      builds: live.builds,
      pushes: { queued: pusher.length, ...pusher.counts },
    }),
    settled,
    stop,
  };
}

/** One turn of the event loop: pending I/O and timers run before the caller goes on. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Ready means: a model was built, the newest build did not fail, and the source is synced and applying. */
function readiness(built: boolean, buildFailure: string | undefined, source: Source): Readiness {
  if (!built) return { ready: false, reason: 'the first model has not been built yet' };
  if (buildFailure !== undefined) return { ready: false, reason: `the last model build failed (the previous model keeps serving): ${buildFailure}` };
  const health = source.health?.();
  if (health && !health.ok) return { ready: false, reason: `the source is not applying changes: ${health.reason}` };
  return { ready: true };
}

/** Logs each line not logged before; the memory of what was logged is bounded (forgotten past 1,000 lines). */
function logOnce(lines: readonly string[], logged: Set<string>, log: (line: string) => void): void {
  for (const line of lines) {
    if (logged.has(line)) continue;
    if (logged.size >= 1000) logged.clear();
    logged.add(line);
    log(line);
  }
}

/** The most validation errors one rebuild logs; the rest are counted (all are in /debug/problems). */
const MAX_LOGGED_ERRORS = 20;

/** Logs the validation errors not logged by the previous rebuild (so an unchanged problem is logged once). */
function logNewErrors(problems: readonly Problem[], reported: Set<string>, log: (line: string) => void): void {
  const now = problems.filter((p) => p.severity === 'error').map((p) => `${p.origin.object ?? p.origin.file ?? 'model'}: ${p.message}`);
  const fresh = now.filter((line) => !reported.has(line));
  for (const line of fresh.slice(0, MAX_LOGGED_ERRORS)) log(`model error, not served: ${line}`);
  if (fresh.length > MAX_LOGGED_ERRORS) log(`${fresh.length - MAX_LOGGED_ERRORS} more model errors (see /debug/problems)`);
  reported.clear();
  for (const line of now) reported.add(line);
}

/** Polls until the debouncer and the push queue have nothing pending or running (bounded by the debounce cap plus a rebuild). */
async function waitSettled(debouncer: Debouncer, pusher: Pusher): Promise<void> {
  for (let i = 0; i < 2000 && (debouncer.busy || pusher.length > 0); i++) {
    await debouncer.idle();
    await pusher.idle();
    if (debouncer.busy) await new Promise((r) => setTimeout(r, 10));
  }
  await pusher.idle();
}
