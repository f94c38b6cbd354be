// A mesh pod whose sidecar is the real `biplane agent`, as an injected pod runs it: the agent (as the proxy user, so
// capture exempts it and the Envoy it starts) writes the bootstrap, gets the pod's certificate with the flags the test
// gives (e.g. from biplane's CA), serves it to its Envoy over SDS and runs that Envoy. The test reaches that Envoy's
// admin API (TCP on the pod's loopback) with curl inside the pod. The agent and every Envoy it started are killed
// when the test ends, pass or fail.
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { REPO, run } from '../capture/netns.ts';
import { waitFor, type AdminReply, type RunningEnvoy } from '../support/envoy.ts';
import { envoyBinary } from '../support/requirements.ts';
import type { Host } from './net.ts';

const BIN = path.join(REPO, 'bin/biplane.js');

/** Where the agent's pod is and how it reaches biplane. */
export interface AgentPodOptions {
  readonly host: Host;
  /** The pod's namespace/name in `manifests`. */
  readonly pod: string;
  readonly manifests: string;
  readonly xdsSocket: string;
  /** A folder the agent's work folder is made in. */
  readonly dir: string;
  readonly uid: number;
  /** More agent flags (the certificate source). */
  readonly args: readonly string[];
}

/** The agent's Envoy as the mesh sees it, with the node id and metadata of the bootstrap the agent wrote. */
export interface AgentSidecar {
  readonly envoy: RunningEnvoy;
  readonly nodeId: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  output(): string;
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The parts of the agent's bootstrap the mesh reads. */
interface AgentBootstrap {
  readonly node: { id: string; metadata: Record<string, unknown> };
  readonly admin: { address: { socket_address: { address: string; port_value: number } } };
}

function readBootstrap(file: string): AgentBootstrap | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AgentBootstrap;
  } catch {
    return undefined;
  }
}

/** Starts `biplane agent` in the pod and waits until its Envoy's admin API answers. */
export async function startAgentPod(t: TestContext, o: AgentPodOptions): Promise<AgentSidecar> {
  const work = path.join(o.dir, 'agent', o.host.name);
  mkdirSync(work, { recursive: true });
  chownSync(work, o.uid, o.uid);
  const user = ['setpriv', `--reuid=${o.uid}`, `--regid=${o.uid}`, '--clear-groups'];
  const flags = ['--xds-address', `unix:${o.xdsSocket}`, '--manifests', o.manifests, '--pod', o.pod, '--envoy', envoyBinary() ?? 'envoy', '--work-dir', work, '--no-dns', '--drain-seconds', '1'];
  const child = spawn('ip', ['netns', 'exec', o.host.ns, ...user, process.execPath, BIN, 'agent', ...flags, ...o.args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  const exit = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const envoyPids = (): number[] => [...text.matchAll(/envoy started \(pid (\d+)/g)].map((m) => Number(m[1]));
  t.after(async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(timer);
    envoyPids().forEach(kill);
    if (!(t as unknown as { passed?: boolean }).passed) console.log(`--- agent ${o.host.name} ---\n${text.slice(-4000)}\n---`);
  });
  const bootstrapFile = path.join(work, 'envoy-bootstrap.json');
  let bootstrap: AgentBootstrap | undefined;
  // The agent writes the file in place: wait until it parses whole.
  await waitFor(() => (bootstrap = readBootstrap(bootstrapFile)) !== undefined || child.exitCode !== null, 30_000, () => `agent ${o.host.name} to write its bootstrap:\n${text}`);
  if (!bootstrap) throw new Error(`agent ${o.host.name} exited ${child.exitCode}:\n${text}`);
  const { address, port_value: port } = bootstrap.admin.address.socket_address;
  const envoy = adminThroughPod(o.host, `http://${address.includes(':') ? `[${address}]` : address}:${port}`, {
    name: `agent ${o.host.name}`,
    logTail: (lines = 20) => text.split('\n').slice(-lines).join('\n'),
    exited: () => child.exitCode !== null,
    stop: async () => {
      child.kill('SIGTERM');
      await exit;
    },
  });
  await waitFor(async () => (await envoy.admin('/server_info')).status === 200, 60_000, () => `agent ${o.host.name}'s Envoy to answer:\n${text}`);
  return { envoy, nodeId: bootstrap.node.id, metadata: bootstrap.node.metadata, output: () => text };
}

/** A RunningEnvoy whose admin API is reached by curl inside the pod's namespace. */
function adminThroughPod(host: Host, base: string, rest: Omit<RunningEnvoy, 'admin' | 'stats'>): RunningEnvoy {
  const admin = async (pathAndQuery: string, method = 'GET'): Promise<AdminReply> => {
    const r = await run('ip', ['netns', 'exec', host.ns, 'curl', '-s', '-m', '5', '-X', method, '-w', '\n%{http_code}', `${base}${pathAndQuery}`]);
    const lines = r.stdout.split('\n');
    const status = Number(lines.pop());
    return { status, body: lines.join('\n') };
  };
  return {
    ...rest,
    admin,
    async stats(filter) {
      const reply = await admin(`/stats?format=json${filter ? `&filter=${encodeURIComponent(filter)}` : ''}`);
      const parsed = JSON.parse(reply.body || '{}') as { stats?: { name?: string; value?: number }[] };
      return new Map((parsed.stats ?? []).filter((s) => s.name !== undefined && typeof s.value === 'number').map((s) => [s.name as string, s.value as number]));
    },
  };
}
