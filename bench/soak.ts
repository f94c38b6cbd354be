// `npm run soak -- --streams N --minutes M`: one `biplane serve` on a copy of examples/demo, N mixed SotW/delta ADS
// streams in a separate process (bench/soak-clients.ts), a churn of manifest edits, and kill-and-restart of the serve
// process at intervals. Reports lost updates (streams whose final state differs from a fresh subscriber's: must be
// 0), resync time after each restart, and the server's RSS at start, peak and end. Exits 1 on any lost update.
import { spawn, fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SoakCommand, SoakStreamSpec } from './soak-clients.ts';
import { summarize } from './soak-state.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const HELP = 'usage: npm run soak -- [--streams N] [--minutes M] [--restarts R] [--change-ms MS]';

/** The demo's four client pods, one per IP mode: every stream is one of these proxies. */
const NODES = [
  ['client-v4', '10.244.1.10'], ['client-v6', 'fd00:10:244:2::10'],
  ['client-dual', '10.244.3.10,fd00:10:244:3::10'], ['client-dual6', 'fd00:10:244:1::11,10.244.1.11'],
].map(([pod, ips]) => ({ id: `sidecar~${(ips as string).split(',')[0]}~${pod}.demo~demo.svc.cluster.local`, metadata: { INSTANCE_IPS: ips as string } }));

interface SoakArgs { readonly streams: number; readonly minutes: number; readonly restarts: number; readonly changeMs: number }

function readArgs(argv: readonly string[]): SoakArgs {
  const { values } = parseArgs({ args: [...argv], options: { streams: { type: 'string' }, minutes: { type: 'string' }, restarts: { type: 'string' }, 'change-ms': { type: 'string' } }, strict: true });
  const num = (v: string | undefined, d: number): number => {
    const n = v === undefined ? d : Number(v);
    if (!(Number.isFinite(n) && n >= 0)) throw new Error(HELP);
    return n;
  };
  return { streams: num(values.streams, 100), minutes: num(values.minutes, 1), restarts: num(values.restarts, 3), changeMs: num(values['change-ms'], 1000) };
}

/** The churn file's k-th version: one dual-stack Service whose port and endpoint count move with k. */
export function churnManifest(k: number): string {
  const port = 8000 + (k % 20);
  const count = 1 + (k % 3);
  const slice = (family: 'IPv4' | 'IPv6'): string => {
    const eps = Array.from({ length: count }, (_, i) => `  - addresses: ["${family === 'IPv4' ? `10.244.9.${i + 1}` : `fd00:10:244:9::${i + 1}`}"]\n    conditions: { ready: true }`).join('\n');
    return `apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: soak-${family === 'IPv4' ? 'v4' : 'v6'}\n  namespace: shop\n  labels: { kubernetes.io/service-name: soak }\naddressType: ${family}\nports:\n  - { name: tcp-soak, port: ${port}, protocol: TCP }\nendpoints:\n${eps}\n`;
  };
  return `apiVersion: v1\nkind: Service\nmetadata: { name: soak, namespace: shop }\nspec:\n  ipFamilyPolicy: RequireDualStack\n  ipFamilies: [IPv4, IPv6]\n  clusterIPs: [10.96.0.200, "fd00:10:96::200"]\n  ports:\n    - { name: tcp-soak, port: ${port}, targetPort: ${port}, protocol: TCP }\n---\n${slice('IPv4')}---\n${slice('IPv6')}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function rssOf(pid: number | undefined): number {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** `biplane serve` on the folder and port; resolves once it prints its biplane-listening line. */
function serve(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(root, 'bin/biplane.js'), 'serve', '--manifests', dir, '--xds-address', `127.0.0.1:${port}`, '--admin-address', 'none', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('biplane-listening ')) resolve(child);
    });
    child.stderr?.resume();
    child.on('exit', (code) => reject(new Error(`biplane serve exited with ${String(code)}`)));
  });
}

function ask(clients: ChildProcess, command: SoakCommand, reply: string, ms = 300_000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`soak clients: no "${reply}" within ${ms} ms`)), ms);
    const on = (m: Record<string, unknown>): void => {
      if (m['evt'] !== reply && m['evt'] !== 'error') return;
      clearTimeout(timer);
      clients.off('message', on);
      if (m['evt'] === 'error') reject(new Error(String(m['message'])));
      else resolve(m);
    };
    clients.on('message', on);
    clients.send(command);
  });
}

/** Milliseconds from `since` until every stream has its CDS and LDS again (polls every 100 ms). */
async function resync(clients: ChildProcess, since: number, total: number, ms = 180_000): Promise<number> {
  for (;;) {
    const r = await ask(clients, { cmd: 'synced', since }, 'synced');
    if (r['count'] === total) return Date.now() - since;
    if (Date.now() - since > ms) throw new Error(`only ${String(r['count'])}/${total} streams resynced within ${ms} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

const mib = (b: number): number => Math.round(b / 1024 / 104.8576) / 10;
const log = (line: string): void => void process.stderr.write(`soak: ${line}\n`);

/** Kills and restarts the serve process `args.restarts` times, evenly over the run; the resync time of each. */
async function restarts(
  args: SoakArgs, opened: number, clients: ChildProcess, current: () => ChildProcess | undefined, replace: (c: ChildProcess) => void, dir: string, port: number,
): Promise<number[]> {
  const resyncs: number[] = [];
  for (let i = 1; i <= args.restarts; i++) {
    const at = opened + (i * args.minutes * 60_000) / (args.restarts + 1);
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    current()?.kill('SIGKILL');
    const spawned = Date.now();
    replace(await serve(dir, port));
    resyncs.push(await resync(clients, spawned, args.streams));
    log(`restart ${i}: all streams resynced ${resyncs.at(-1)} ms after spawn`);
  }
  return resyncs;
}

async function main(): Promise<void> {
  const args = readArgs(process.argv.slice(2));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'biplane-soak-'));
  cpSync(path.join(root, 'examples/demo'), dir, { recursive: true, filter: (f) => !f.endsWith('.md') });
  writeFileSync(path.join(dir, 'churn.yaml'), churnManifest(0));
  const port = await freePort();
  const clients = fork(path.join(root, 'bench/soak-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let server: ChildProcess | undefined;
  const rss = { start: 0, peak: 0, end: 0 };
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssOf(server?.pid))), 1000);
  let changes = 0;
  const churn = setInterval(() => {
    changes++;
    const file = path.join(dir, 'churn.yaml');
    if (changes % 7 === 0) rmSync(file, { force: true });
    else writeFileSync(file, churnManifest(changes));
  }, args.changeMs);
  churn.unref();
  try {
    server = await serve(dir, port);
    const streams: SoakStreamSpec[] = Array.from({ length: args.streams }, (_, i) => ({ kind: i % 2 === 0 ? 'sotw' : 'delta', node: NODES[i % NODES.length] as SoakStreamSpec['node'] }));
    const opened = Date.now();
    await ask(clients, { cmd: 'open', target: `127.0.0.1:${port}`, streams }, 'opened');
    const firstSync = await resync(clients, opened - 1, args.streams);
    rss.start = rssOf(server.pid);
    log(`${args.streams} streams synced in ${firstSync} ms; RSS ${mib(rss.start)} MiB`);
    const endAt = opened + args.minutes * 60_000;
    const resyncs = await restarts(args, opened, clients, () => server, (next) => (server = next), dir, port);
    await new Promise((r) => setTimeout(r, Math.max(0, endAt - Date.now())));
    clearInterval(churn);
    writeFileSync(path.join(dir, 'churn.yaml'), churnManifest(changes + 1));
    await new Promise((r) => setTimeout(r, 3000));
    const checked = await ask(clients, { cmd: 'check', quietMs: 2000 }, 'checked');
    rss.end = rssOf(server?.pid);
    const stats = await ask(clients, { cmd: 'synced', since: 0 }, 'synced');
    const result = {
      date: new Date().toISOString(), loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100), ...args, changes: changes + 1,
      lostUpdates: checked['lost'], references: checked['references'], examples: checked['examples'], reconnects: stats['reconnects'], endedBy: stats['errors'],
      firstSyncMs: firstSync, resyncMs: resyncs, resync: summarize(resyncs),
      rssMiB: { start: mib(rss.start), peak: mib(rss.peak), end: mib(rss.end) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (checked['lost'] !== 0) process.exitCode = 1;
  } finally {
    clearInterval(sampler);
    clearInterval(churn);
    server?.kill('SIGKILL');
    clients.disconnect();
    clients.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
