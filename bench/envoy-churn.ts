// Scenario `envoy-churn`: N real Envoys connected to `biplane serve` (the compiled CLI, a folder of generated
// manifests, xDS on a Unix socket); a pod is added to a service by rewriting its manifest file, and the clock runs
// from that write until each Envoy's admin `/clusters` lists the new endpoint. Three such changes, on three services.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SourceObject } from '../src/model/types.ts';
import { addPod } from './churn-edits.ts';
import { generateCluster, v4, v6 } from './cluster.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { adminGet, envoyBin, envoysThatFit, startBenchEnvoy, stopBenchEnvoys } from './envoy-fleet.ts';
import type { BenchEnvoy } from './envoy-fleet.ts';
import { quantile } from './measure.ts';
import { progress } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Services whose pods the changes add to: dual IPv4-first ones (index ≡ 0 mod 4), so every proxy mode sees them. */
const CHANGED = ['svc-0', 'svc-4', 'svc-8'];
/** Pause between two `/clusters` reads of one Envoy: the resolution of the figures, kept coarse so polling stays cheap. */
const POLL_MS = 25;

function manifest(objects: readonly SourceObject[]): string {
  return objects.map((o) => JSON.stringify(o.object)).join('\n---\n');
}

function ownedBy(service: string): (o: SourceObject) => boolean {
  return (o) => o.key.name === service || o.key.name.startsWith(`${service}-`);
}

/** Writes a file whole (temp file + rename), so the watching server never reads half of it. */
function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

/** The cluster as manifests: one file per changed service (rewritten by the changes), one for everything else. */
function writeManifests(dir: string, objects: readonly SourceObject[]): void {
  mkdirSync(dir);
  writeWhole(path.join(dir, 'cluster.yaml'), manifest(objects.filter((o) => !CHANGED.some((s) => ownedBy(s)(o)))));
  for (const s of CHANGED) writeWhole(path.join(dir, `${s}.yaml`), manifest(objects.filter(ownedBy(s))));
}

/** `biplane serve` on the folder; resolves once it printed its listening line. */
async function startServe(dir: string, xdsSocket: string): Promise<ChildProcess> {
  const bin = path.join(REPO, 'bin', 'biplane.js');
  if (!existsSync(path.join(REPO, 'dist', 'cli', 'main.js'))) throw new Error('envoy-churn: dist/ is missing; run `npm run build` first');
  const child = spawn(process.execPath, [bin, 'serve', '--manifests', dir, '--xds-address', `unix:${xdsSocket}`, '--admin-address', 'none', '--quiet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('envoy-churn: biplane serve did not start within 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`envoy-churn: biplane serve exited (${String(code)})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (!line.startsWith('biplane-listening ')) return;
      clearTimeout(timer);
      resolve();
    });
  });
  return child;
}

/** An IP as Envoy's `/clusters` prints a host: IPv4 as is, IPv6 canonical and bracketed. */
function hostText(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname : ip;
}

/** SIGTERM, SIGKILL after 5 s; resolves once the server is gone. */
async function stopServe(serve: ChildProcess | undefined): Promise<void> {
  if (!serve || serve.exitCode !== null || serve.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => serve.once('exit', () => resolve()));
  serve.kill('SIGTERM');
  const timer = setTimeout(() => serve.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(timer);
}

/** Resolves once `/clusters` of `envoy` lists a host at one of `ips`; resolves to when (performance.now()). */
async function seen(envoy: BenchEnvoy, ips: readonly string[], ms: number): Promise<number> {
  const needles = ips.map((ip) => `::${hostText(ip)}:`);
  const deadline = performance.now() + ms;
  for (;;) {
    const reply = await adminGet(envoy.admin, '/clusters').catch(() => undefined);
    if (reply?.status === 200 && needles.some((n) => reply.body.includes(n))) return performance.now();
    if (performance.now() > deadline) throw new Error(`envoy-churn: ${envoy.node.id} did not show ${ips.join(' or ')} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** A process's resident memory (MiB) from /proc, 0 when unreadable. */
function rssMiB(pid: number | undefined): number {
  try {
    const kib = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'))?.[1];
    return Number(kib ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** The IPs `addPod` gives pod number `index` (a service uses those of its families). */
function podIps(index: number): string[] {
  return [v4(244, index), v6('fd00:10:244::', index)];
}

async function measureChanges(dir: string, objects: SourceObject[], envoys: readonly BenchEnvoy[]): Promise<Row[]> {
  const rows: Row[] = [];
  let current = objects;
  for (const [k, service] of CHANGED.entries()) {
    const index = 60_001 + k;
    current = addPod(current, service, index);
    const text = manifest(current.filter(ownedBy(service)));
    progress(`envoy-churn: pod added to ${service}; waiting for ${envoys.length} Envoys' /clusters`);
    const started = performance.now();
    writeWhole(path.join(dir, `${service}.yaml`), text);
    const times = await Promise.all(envoys.map((e) => seen(e, podIps(index), 120_000)));
    const latencies = times.map((t) => t - started);
    rows.push({
      change: `pod added to ${service}`, envoys: envoys.length,
      'p50 ms': Math.round(quantile(latencies, 0.5)), 'p99 ms': Math.round(quantile(latencies, 0.99)), 'max ms': Math.round(quantile(latencies, 1)),
    });
  }
  return rows;
}

/** Runs envoy-churn: `wanted` Envoys (fewer if memory is short) on a cluster of `shape`'s services. */
export async function runEnvoyChurn(shape: ClusterShape, wanted: number, quick: boolean): Promise<ScenarioResult> {
  const bin = envoyBin();
  if (!bin) {
    progress('envoy-churn: skipped: no Envoy (set ENVOY_BIN or run `npm run setup:envoy`)');
    return { scenario: 'envoy-churn', rows: [] };
  }
  const fit = envoysThatFit(quick ? Math.min(wanted, 2) : wanted, shape.services);
  if (fit.count < wanted) progress(`envoy-churn: ${fit.count} Envoys instead of ${wanted} (free memory, ~${fit.perEnvoyMiB} MiB each)`);
  const proxiesPerMode = Math.ceil(fit.count / 4);
  const cluster = generateCluster({ ...shape, proxiesPerMode });
  const nodes: SyntheticNode[] = [];
  for (let i = 0; nodes.length < fit.count; i++) nodes.push(cluster.nodes[(i % 4) * proxiesPerMode + Math.floor(i / 4)] as SyntheticNode);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-envoy-churn-'));
  const manifests = path.join(dir, 'manifests');
  const objects = [...cluster.objects];
  writeManifests(manifests, objects);
  const xdsSocket = path.join(dir, 'xds.sock');
  const envoys: BenchEnvoy[] = [];
  const killAll = (): void => {
    for (const e of envoys) e.child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  let serve: ChildProcess | undefined;
  try {
    progress(`envoy-churn: biplane serve on ${shape.services} services × ${shape.podsPerService} pods`);
    serve = await startServe(manifests, xdsSocket);
    progress(`envoy-churn: starting ${nodes.length} Envoys`);
    for (const node of nodes) envoys.push(startBenchEnvoy(bin, dir, node, xdsSocket));
    const first = objects.find((o) => o.key.kind === 'Pod' && o.key.name === 'svc-0-0');
    const firstIps = ((first?.object['status'] as { podIPs: { ip: string }[] } | undefined)?.podIPs ?? []).map((p) => p.ip);
    await Promise.all(envoys.map((e) => seen(e, firstIps, 300_000 + shape.services * 100)));
    const rss = quantile(envoys.map((e) => rssMiB(e.child.pid)), 0.5);
    progress(`envoy-churn: every Envoy has the configuration (median RSS ${rss.toFixed(0)} MiB)`);
    const rows = await measureChanges(manifests, objects, envoys);
    return { scenario: 'envoy-churn', rows: rows.map((r) => ({ services: shape.services, pods: shape.podsPerService, ...r, 'Envoy RSS MiB': Math.round(rss) })) };
  } finally {
    await stopBenchEnvoys(envoys);
    process.off('exit', killAll);
    await stopServe(serve);
    rmSync(dir, { recursive: true, force: true });
  }
}
