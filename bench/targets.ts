// Scenario `targets`: every figure of issue 13's target table from one process, one run. Through src/server's
// `startServer` (debounce included, clients in another process): pod and service churn at N proxies for SotW and
// delta, with the server's event-loop delay per change; biplane beside go-control-plane, a full push each (needs Go;
// said so without); last, L delta proxies connected in two halves (marginal memory), then the pod changes, within
// what is left of the budget (its rows read "not measured" with the reason when it runs out).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { changes } from './churn.ts';
import type { Outcome } from './churn.ts';
import { ClientProcess } from './fleet.ts';
import { quantile } from './measure.ts';
import { reading } from './memory.ts';
import { buildPeer } from './peer-process.ts';
import type { PeerName } from './peer-process.ts';
import { comparePeer } from './peer.ts';
import type { PeerComparison } from './peer.ts';
import { connectServerFleet, fleetNodes, fleetState, pipelineChurn, serverChange, startServerFleet, stopServerFleet } from './pipeline.ts';
import type { ServerFleet } from './pipeline.ts';
import { writeResult } from './report.ts';
import type { ScenarioResult } from './report.ts';
import { formatTargets, targetRows } from './targets-table.ts';
import type { TargetFigure } from './targets-table.ts';

/** Sizes and settings of one targets run. */
export interface TargetsPlan {
  readonly shape: ClusterShape;
  /** Delta proxies of the large rows. */
  readonly largeProxies: number;
  readonly debounceMs: number;
  readonly peer: PeerName;
  /** The command line to print (reproducible). */
  readonly command: string;
  /** The whole scenario's budget: the large fleet gets what is left of it; 5 minutes past it the process exits. */
  readonly budgetMs: number;
  /** Where the watchdog writes the JSON if it has to stop the run. */
  readonly out: string;
}

/** What the large delta fleet gave: marginal memory per proxy (bytes) and the pod changes, or why not (`error`). */
export interface Large {
  readonly proxies: number;
  readonly connectMs: number;
  readonly heapPerProxy: number;
  readonly heapExternalPerProxy: number;
  readonly outcomes: readonly Outcome[];
  readonly error?: string;
}

/** This process's soft limit on open files (Infinity when unknown or unlimited). */
function openFileLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return Infinity;
  }
}

/** Throws, naming the fix, when this process (the server) or the client process could not hold `streams` sockets. */
function checkFileLimit(streams: number): void {
  const need = streams + 1024;
  const limit = openFileLimit();
  if (limit < need) throw new Error(`targets: ${streams} streams need about ${need} open files per process, the limit is ${limit}; run \`ulimit -n ${need}\` first`);
}

/**
 * L delta proxies through startServer: the first half, memory, the second half, memory, then the pod changes. Gives
 * up after `budgetMs`, saying where the streams stood (the rows then read "not measured").
 */
async function largeDelta(shape: ClusterShape, debounceMs: number, budgetMs: number): Promise<Large> {
  const nodes = fleetNodes(shape);
  const clients = new ClientProcess();
  const fleet = await startServerFleet(shape, debounceMs);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${(budgetMs / 60_000).toFixed(1)} min (${fleetState(fleet.server)})`)), budgetMs);
  });
  try {
    return await Promise.race([largeSteps(fleet, clients, nodes), expired]);
  } catch (err) {
    log(`${nodes.length} delta streams: ${(err as Error).message}`);
    return { proxies: nodes.length, connectMs: NaN, heapPerProxy: NaN, heapExternalPerProxy: NaN, outcomes: [], error: (err as Error).message };
  } finally {
    clearTimeout(timer);
    await stopServerFleet(fleet, clients);
    clients.stop();
  }
}

async function largeSteps(fleet: ServerFleet, clients: ClientProcess, nodes: readonly SyntheticNode[]): Promise<Large> {
  const half = Math.floor(nodes.length / 2);
  {
    await reading();
    const started = performance.now();
    log(`${half} delta streams (startServer), then memory`);
    await connectServerFleet(fleet, clients, 'delta', nodes.slice(0, half), half);
    const atHalf = await reading();
    log(`${nodes.length} delta streams (startServer), then memory`);
    await connectServerFleet(fleet, clients, 'delta', nodes.slice(half), nodes.length);
    const connectMs = performance.now() - started;
    const atFull = await reading();
    const added = nodes.length - half;
    const outcomes: Outcome[] = [];
    for (const change of changes(fleet.shape).filter((c) => c.name.startsWith('pod'))) {
      log(`${nodes.length} delta streams: ${change.name}`);
      outcomes.push(await serverChange(fleet, change, nodes.length));
    }
    return {
      proxies: nodes.length, connectMs, outcomes,
      heapPerProxy: (atFull.heap - atHalf.heap) / added,
      heapExternalPerProxy: (atFull.heap + atFull.external - atHalf.heap - atHalf.external) / added,
    };
  }
}

/** A timestamped line on stdout (kept in a piped log, unlike `progress`), so a run's phases can be checked later. */
function log(message: string): void {
  process.stdout.write(`[targets ${new Date().toISOString()} load ${os.loadavg()[0]?.toFixed(2)}] ${message}\n`);
}

const p99 = (o: Outcome | undefined): number => quantile(o?.latencies ?? [], 0.99);
const find = (list: readonly Outcome[], name: string): Outcome | undefined => list.find((o) => o.change === name);
const ms = (v: number): string => `${Math.round(v).toLocaleString('en-US')} ms`;

const NOT_MEASURED = 'not measured: out of time';

function podFigure(target: string, limit: number, list: readonly Outcome[]): TargetFigure {
  const added = find(list, 'pod added');
  const removed = find(list, 'pod removed');
  if (!added || !removed) return { target, limit, unit: 'ms', value: null, note: NOT_MEASURED };
  const note = `added ${ms(p99(added))} / removed ${ms(p99(removed))} p99, ${added?.affected ?? 0} affected`;
  return { target, limit, unit: 'ms', value: Math.max(p99(added), p99(removed)), note };
}

/** The figures of issue 13's table from the measurements (pure apart from formatting). */
export function figures(n: number, churn: Readonly<Record<'sotw' | 'delta', readonly Outcome[]>>, large: Large, peer: PeerComparison | string): TargetFigure[] {
  const out: TargetFigure[] = [];
  const N = n.toLocaleString('en-US');
  for (const kind of ['sotw', 'delta'] as const) out.push(podFigure(`pod added/removed → every affected proxy, p99, ${N} proxies (${kind})`, 250, churn[kind]));
  const L = large.proxies.toLocaleString('en-US');
  const missing = large.error === undefined ? undefined : `not measured: ${large.error}`;
  out.push(missing ? { target: `same, ${L} proxies (delta)`, limit: 1000, unit: 'ms', value: null, note: missing } : podFigure(`same, ${L} proxies (delta)`, 1000, large.outcomes));
  for (const kind of ['sotw', 'delta'] as const) {
    const s = find(churn[kind], 'service added');
    const target = `new HTTP service → every proxy, p99, ${N} proxies (${kind})`;
    out.push(s ? { target, limit: 1000, unit: 'ms', value: p99(s), note: `${s.affected} affected, ${(s.bytes / 2 ** 20).toFixed(0)} MiB sent` } : { target, limit: 1000, unit: 'ms', value: null, note: NOT_MEASURED });
  }
  for (const kind of ['sotw', 'delta'] as const) {
    const s = find(churn[kind], 'service added');
    const pods = ['pod added', 'pod removed'].map((c) => Math.round(find(churn[kind], c)?.loopMs?.p99 ?? NaN));
    out.push({
      target: `event-loop delay p99 during a full push (new service) to ${N} proxies (${kind})`, limit: 50, unit: 'ms', value: s ? (s.loopMs?.p99 ?? NaN) : null,
      note: s ? `max ${ms(s.loopMs?.max ?? NaN)}; pod-change windows p99 ${pods.join(' / ')} ms` : NOT_MEASURED,
    });
  }
  out.push({
    target: `marginal heap per proxy at ${L} proxies (delta, heap + external)`, limit: 20, unit: 'KiB',
    value: missing ? null : large.heapExternalPerProxy / 1024, note: missing ?? `heap alone ${(large.heapPerProxy / 1024).toFixed(1)} KiB; ${large.proxies / 2} → ${large.proxies} proxies`,
  });
  for (const kind of ['sotw', 'delta'] as const) {
    const k = typeof peer === 'string' ? undefined : peer.kinds.find((x) => x.kind === kind);
    const ours = k?.ours[0];
    const theirs = k?.theirs[0];
    const why = typeof peer === 'string' ? peer : 'not run';
    out.push(ours && theirs
      ? { target: `full push to ${N} proxies ÷ go-control-plane's (${kind})`, limit: 1, unit: '×', value: ours.pushMs / theirs.pushMs, note: `biplane ${ms(ours.pushMs)}, go-control-plane ${ms(theirs.pushMs)}` }
      : { target: `full push to ${N} proxies ÷ go-control-plane's (${kind})`, limit: 1, unit: '×', value: null, note: why });
    out.push(ours && theirs
      ? { target: `heap per proxy ÷ go-control-plane's (${kind})`, limit: 1, unit: '×', value: ours.heapPerProxy / theirs.heapPerProxy, note: `biplane ${(ours.heapPerProxy / 1024).toFixed(1)} KiB, go-control-plane ${(theirs.heapPerProxy / 1024).toFixed(1)} KiB` }
      : { target: `heap per proxy ÷ go-control-plane's (${kind})`, limit: 1, unit: '×', value: null, note: why });
  }
  return out;
}

/** biplane and the peer side by side at N proxies, one round per kind, full push only; or why it did not run. */
async function peerPush(plan: TargetsPlan): Promise<PeerComparison | string> {
  const build = buildPeer(plan.peer);
  if (!build.ok) {
    log(`${plan.peer} rows not run: ${build.reason}`);
    return build.reason.startsWith('`go` is not on PATH') ? 'not run: no Go' : `not run: ${build.reason}`;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-targets-'));
  const clients = new ClientProcess();
  log(`biplane and ${plan.peer}, one full push each, sotw then delta, ${plan.shape.proxiesPerMode * 4} proxies`);
  try {
    return await comparePeer(plan.shape, build, plan.peer, ['sotw', 'delta'], 1, clients, dir, true);
  } finally {
    clients.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What has been measured so far (the watchdog reports it if the run overstays). */
interface Measured {
  readonly churn: Record<'sotw' | 'delta', Outcome[]>;
  peer: PeerComparison | string;
  large: Large;
}

/** The result: figures, the Markdown table (printed), and a summary of the measurements for the JSON. */
function result(plan: TargetsPlan, started: string, loadStart: readonly number[], m: Measured): ScenarioResult {
  const header = { command: plan.command, started, ended: new Date().toISOString(), loadStart, loadEnd: os.loadavg() };
  const list = figures(plan.shape.proxiesPerMode * 4, m.churn, m.large, m.peer);
  const markdown = formatTargets(header, list);
  process.stdout.write(`\n${markdown}\n`);
  const summary = (outcomes: readonly Outcome[]): Record<string, unknown>[] =>
    outcomes.map(({ latencies, ...o }) => ({ ...o, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: quantile(latencies, 1) }));
  const measured = { churn: { sotw: summary(m.churn.sotw), delta: summary(m.churn.delta) }, large: { ...m.large, outcomes: summary(m.large.outcomes) }, peer: m.peer };
  return { scenario: 'targets', rows: targetRows(list), extra: { header, markdown, measured } };
}

/**
 * Runs every measurement of the table in this process and returns the rows plus the Markdown table. Past the budget
 * and five minutes more, it writes what it has (the rest "not measured: out of time") and exits.
 */
export async function runTargets(plan: TargetsPlan): Promise<ScenarioResult> {
  checkFileLimit(plan.largeProxies);
  const started = new Date().toISOString();
  const t0 = performance.now();
  const loadStart = os.loadavg();
  const m: Measured = {
    churn: { sotw: [], delta: [] }, peer: NOT_MEASURED,
    large: { proxies: plan.largeProxies, connectMs: NaN, heapPerProxy: NaN, heapExternalPerProxy: NaN, outcomes: [], error: 'out of time' },
  };
  const hardMs = plan.budgetMs + 5 * 60_000;
  const watchdog = setTimeout(() => {
    log(`still running after ${hardMs / 60_000} min: writing what was measured and giving up`);
    process.stdout.write(`wrote ${writeResult(plan.out, result(plan, started, loadStart, m), { ...plan })}\n`);
    process.exit(3);
  }, hardMs);
  watchdog.unref();
  log(`start: ${plan.command}`);
  try {
    const clients = new ClientProcess();
    try {
      for (const kind of ['sotw', 'delta'] as const) {
        log(`${kind}: churn through startServer, ${plan.shape.proxiesPerMode * 4} proxies, ${plan.shape.services} services`);
        m.churn[kind] = await pipelineChurn(plan.shape, kind, clients, plan.debounceMs, log);
      }
    } finally {
      clients.stop();
    }
    // A failed comparison (a stalled peer, a client stream error) costs its four rows, not the whole table.
    m.peer = await peerPush(plan).catch((err: unknown) => {
      log(`peer comparison failed: ${(err as Error).message}`);
      return `not measured: ${(err as Error).message}`;
    });
    // The large fleet comes last and gets what is left of the budget (less a minute to close 10,000 streams).
    const left = plan.budgetMs - (performance.now() - t0) - 60_000;
    m.large = await largeDelta({ ...plan.shape, proxiesPerMode: Math.ceil(plan.largeProxies / 4) }, plan.debounceMs, Math.max(60_000, left));
    log('end');
    return result(plan, started, loadStart, m);
  } finally {
    clearTimeout(watchdog);
  }
}
