// Real Envoys for the envoy-churn scenario: each in a private network namespace with only loopback (so the
// sidecar's fixed ports never clash), ADS to biplane over a Unix socket, admin on a Unix socket, a dynamic base id,
// and a kill that always happens. How many fit is bounded by free memory.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { podOnlyMesh } from '../src/cli/bootstrap.ts';
import { sidecarBootstrap } from '../src/translate/bootstrap.ts';
import type { SyntheticNode } from './cluster.ts';

const REPO = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Envoy's binary: ENVOY_BIN, else the project-local install; undefined when neither is executable. */
export function envoyBin(): string | undefined {
  for (const candidate of [process.env['ENVOY_BIN'], path.join(REPO, '.envoy', 'bin', 'envoy')]) {
    if (!candidate) continue;
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** How many Envoys fit: at most `wanted`, and at most half of free memory at an estimated cost per Envoy. */
export function envoysThatFit(wanted: number, services: number): { count: number; perEnvoyMiB: number } {
  const perEnvoyMiB = 64 + Math.ceil(services * 0.2); // measured: 77 MiB RSS at 100 services × 10 pods
  const fit = Math.floor(os.freemem() / 2 / 2 ** 20 / perEnvoyMiB);
  return { count: Math.max(1, Math.min(wanted, fit)), perEnvoyMiB };
}

/** A GET on an Envoy admin API over its Unix socket. */
export function adminGet(socketPath: string, pathAndQuery: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: pathAndQuery, method: 'GET', timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error(`admin ${pathAndQuery}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** One running Envoy. */
export interface BenchEnvoy {
  readonly node: SyntheticNode;
  readonly admin: string;
  readonly child: ChildProcess;
}

/** The pod's IPs (primary first) from the node's INSTANCE_IPS. */
function ipsOf(node: SyntheticNode): string {
  return String(node.metadata['INSTANCE_IPS']);
}

/** Starts one Envoy for `node` under `dir`, connecting to biplane's xDS Unix socket `xdsSocket`. */
export function startBenchEnvoy(bin: string, dir: string, node: SyntheticNode, xdsSocket: string): BenchEnvoy {
  const pod = `bench-clients/${String(node.metadata['NAME'])}`;
  const mesh = podOnlyMesh(pod, ipsOf(node));
  if ('error' in mesh) throw new Error(`envoy-churn: ${mesh.error}`);
  const own = path.join(dir, String(node.metadata['NAME']));
  mkdirSync(own, { recursive: true });
  const admin = path.join(own, 'admin.sock');
  const bootstrap = { ...sidecarBootstrap(mesh.proxy, { pipe: xdsSocket }, { apiType: 'GRPC', metadata: {} }), admin: { address: { pipe: { path: admin } } } };
  const config = path.join(own, 'bootstrap.json');
  writeFileSync(config, JSON.stringify(bootstrap));
  const envoy = [bin, '-c', config, '--use-dynamic-base-id', '--concurrency', '1', '-l', 'warning', '--log-path', path.join(own, 'envoy.log')];
  const ns = process.getuid?.() === 0 ? ['--net'] : ['--user', '--map-root-user', '--net'];
  const child = spawn('unshare', [...ns, '--', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...envoy], { stdio: 'ignore' });
  return { node, admin, child };
}

/** SIGKILLs every Envoy still running and waits for each to exit. */
export async function stopBenchEnvoys(envoys: readonly BenchEnvoy[]): Promise<void> {
  await Promise.all(envoys.map((e) => new Promise<void>((resolve) => {
    if (e.child.exitCode !== null || e.child.signalCode !== null) return resolve();
    e.child.once('exit', () => resolve());
    e.child.kill('SIGKILL');
  })));
}
