// A real Envoy sidecar fed by a real `biplane serve` process: the bootstrap comes from the `biplane bootstrap` command
// (run in-process, one at a time, since it prints to this process's stdout), the Envoy runs in a private network
// namespace (so many can bind 15001/15006 at once) and reaches the server over a Unix socket.
import type { TestContext } from 'node:test';
import type { Command } from '../../src/cli/main.ts';
import { captureCli } from '../support/cli-output.ts';
import { startEnvoy, waitFor, type RunningEnvoy } from '../support/envoy.ts';
import { ServeProcess, type Listening } from '../support/serve.ts';

/** A running `biplane serve` on a Unix socket plus an admin port, killed when the test or suite ends. */
export interface Served {
  readonly proc: ServeProcess;
  readonly listening: Listening;
  readonly socket: string;
  /** GET on the admin server, parsed as JSON. */
  admin(page: string): Promise<unknown>;
}

/** Starts `biplane serve` on `manifests` with xDS on the Unix socket `socket`. */
export async function serve(manifests: string, socket: string, extra: readonly string[] = []): Promise<Served> {
  const proc = ServeProcess.start(['--manifests', manifests, '--xds-address', `unix:${socket}`, '--admin-address', '127.0.0.1:0', '--quiet', ...extra]);
  const listening = await proc.listening;
  return {
    proc,
    listening,
    socket,
    async admin(page) {
      const res = await fetch(`http://${listening.admin}${page}`);
      if (res.status !== 200) throw new Error(`admin ${page}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  };
}

/** A sidecar Envoy and the node id its bootstrap gave it. */
export interface Sidecar {
  readonly envoy: RunningEnvoy;
  readonly nodeId: string;
}

/** Runs a biplane command in-process (the same module `bin/biplane.js` runs) and returns what it printed. */
export async function biplaneInProcess(args: readonly string[]): Promise<string> {
  const [name, ...rest] = args;
  const modules: Record<string, () => Promise<{ command: Command }>> = {
    bootstrap: () => import('../../src/cli/bootstrap.ts'),
    translate: () => import('../../src/cli/translate.ts'),
  };
  const load = modules[name ?? ''];
  if (!load) throw new Error(`biplaneInProcess: no command ${name}`);
  const { command } = await load();
  const run = await captureCli(() => command.run(rest));
  if (run.code !== 0) throw new Error(`biplane ${args.join(' ')} exited ${run.code}: ${run.err}`);
  return run.out;
}

/** The bootstrap `biplane bootstrap` prints for `pod`, reaching the server on the Unix socket `socket` (plus `flags`). */
export function bootstrapFor(manifests: string, pod: string, socket: string, ads: 'sotw' | 'delta', flags: readonly string[] = []): Promise<string> {
  return biplaneInProcess(['bootstrap', '--manifests', manifests, '--proxy', pod, '--xds-address', `unix:${socket}`, '--ads', ads, ...flags]);
}

/** A sidecar Envoy in a private network namespace, started from the bootstrap JSON `text`. */
export async function sidecar(t: TestContext, text: string, name: string): Promise<Sidecar> {
  const bootstrap = JSON.parse(text) as { node: { id: string } };
  const envoy = await startEnvoy(t, { bootstrap, isolated: true, name, logLevel: 'warning' });
  return { envoy, nodeId: bootstrap.node.id };
}

/** Envoy's view of how its xDS updates went: every `*update_rejected` counter that is not zero, and warming counts. */
export interface EnvoyHealth {
  readonly rejected: Record<string, number>;
  readonly warmingListeners: number;
  readonly warmingClusters: number;
  readonly ldsSuccess: number;
  readonly cdsSuccess: number;
}

/** Reads the counters that say whether Envoy accepted and activated everything it was sent. */
export async function envoyHealth(envoy: RunningEnvoy): Promise<EnvoyHealth> {
  const stats = await envoy.stats();
  const rejected = Object.fromEntries([...stats].filter(([k, v]) => k.endsWith('update_rejected') && v > 0));
  return {
    rejected,
    warmingListeners: stats.get('listener_manager.total_listeners_warming') ?? -1,
    warmingClusters: stats.get('cluster_manager.warming_clusters') ?? -1,
    ldsSuccess: stats.get('listener_manager.lds.update_success') ?? 0,
    cdsSuccess: stats.get('cluster_manager.cds.update_success') ?? 0,
  };
}

/** Waits until Envoy has accepted LDS and CDS at least once, nothing warms, and the server says it is LIVE. */
export async function waitConverged(envoy: RunningEnvoy, ms = 30_000): Promise<EnvoyHealth> {
  let health: EnvoyHealth | undefined;
  await waitFor(
    async () => {
      health = await envoyHealth(envoy);
      if (Object.keys(health.rejected).length > 0) return true; // a rejection is final: let the caller report it
      const live = (await envoy.admin('/ready')).status === 200;
      return live && health.ldsSuccess > 0 && health.cdsSuccess > 0 && health.warmingListeners === 0 && health.warmingClusters === 0;
    },
    ms,
    () => `${envoy.name} to accept and activate its configuration (last: ${JSON.stringify(health)}; log: ${envoy.logTail(5)})`,
  );
  return health as EnvoyHealth;
}
