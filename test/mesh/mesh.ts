// A running mesh for traffic tests: the network of net.ts, the manifests of manifests.ts served by one real
// `biplane serve` (xDS on a Unix socket every namespace reaches), and in each pod what a real sidecar injection does:
// `biplane capture --ips ... --apply` inside the pod, a real Envoy bootstrapped by `biplane bootstrap` running as
// the proxy user 1337, and the test app (mesh-app.mjs) as an ordinary user. A pod whose spec says TPROXY is
// annotated so, captured with `--mode tproxy`, and its Envoy (still uid 1337) keeps CAP_NET_ADMIN as an ambient
// capability, as Istio grants it, for its transparent listeners and original_src upstream sockets. Outside hosts run only the app. Every
// process and namespace is ended by `t.after`, pass or fail; `converged` waits (bounded) until every Envoy has
// accepted its configuration and the server has seen every type ACKed, before a test asserts any traffic.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { REPO, must, run } from '../capture/netns.ts';
import { startEnvoy, waitFor, type RunningEnvoy } from '../support/envoy.ts';
import { SdsServer } from '../../src/agent/sds.ts';
import type { CertificateSource } from '../../src/trust/identity.ts';
import { serve, waitConverged, type Served } from '../envoy/sidecar.ts';
import { startAgentPod } from './agent-pod.ts';
import { NAMESPACE, writeCluster, type ClusterSpec, type PodSpec } from './manifests.ts';
import { createNetwork, type Host, type Network } from './net.ts';

/** The proxy user: capture exempts its traffic, and every sidecar runs as it. */
export const PROXY_UID = 1337;
/** The apps' (and clients') user: any uid but the proxy's, so their traffic is captured. */
export const APP_UID = 1000;

const BIN = path.join(REPO, 'bin/biplane.js');
const APP = path.join(import.meta.dirname, 'mesh-app.mjs');
const CLIENT = path.join(import.meta.dirname, 'mesh-client.mjs');

/** A pod of the mesh, with the ports its app serves. */
export interface MeshPodSpec extends PodSpec {
  readonly appPorts: readonly number[];
}

/** A host outside the mesh (not in the manifests): an app on the switch, no capture, no sidecar. */
export interface OutsideSpec {
  readonly name: string;
  readonly ips: readonly string[];
  readonly appPorts: readonly number[];
}

/** What to build: the cluster (pods carry their app ports), hosts outside it, and /etc/hosts lines for the pods. */
export interface MeshSpec extends Omit<ClusterSpec, 'pods'> {
  readonly pods: readonly MeshPodSpec[];
  /** Pods that run (capture, sidecar, app) but are not in the served manifests yet: a test adds them later. */
  readonly waiting?: readonly MeshPodSpec[];
  readonly outside?: readonly OutsideSpec[];
  readonly podEtcHosts?: readonly string[];
  /**
   * Certificates for the sidecars: each pod gets a real SDS server (src/agent/sds.ts) on a Unix socket serving this
   * source, and its bootstrap names that socket (`--sds-socket`), so biplane gives it mesh mTLS.
   */
  readonly certificates?: (pod: MeshPodSpec) => Promise<CertificateSource>;
  /**
   * Each pod's sidecar is the real `biplane agent` (agent-pod.ts) with these extra flags (where its certificate
   * comes from), instead of `biplane bootstrap` and an Envoy started by the test.
   */
  readonly agent?: (pod: MeshPodSpec) => readonly string[];
  /** More `biplane serve` flags (a CA, its TLS port); a TLS port on a Unix socket is opened to every user. */
  readonly serveArgs?: readonly string[];
}

/** A running sidecar pod. */
export interface MeshPod extends Host {
  readonly envoy: RunningEnvoy;
  readonly nodeId: string;
  /** The node metadata its bootstrap gave it (`INTERCEPTION_MODE` among it). */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** One request of mesh-client.mjs. */
export interface ClientRequest {
  readonly kind: 'tcp' | 'tls' | 'http' | 'h2c' | 'hold';
  readonly host: string;
  readonly port: number;
  readonly authority?: string;
  readonly timeoutMs?: number;
}

/** What mesh-app.mjs reported about a connection. */
export interface Seen {
  readonly app: string;
  readonly port: number;
  readonly proto: string;
  readonly local: string;
  readonly localFamily: 'IPv4' | 'IPv6';
  readonly remote: string;
  readonly remoteFamily: 'IPv4' | 'IPv6';
  readonly authority?: string;
}

/** One result of mesh-client.mjs: the app's report, or an error code (`timeout` when its bound ran out). */
export interface ClientResult extends ClientRequest {
  readonly reply?: Seen;
  readonly error?: string;
  readonly status?: number;
  readonly ended?: string;
  /** A reply that was not the app's JSON, or data read before a `hold` connection ended. */
  readonly text?: string;
  readonly data?: string;
  readonly ms: number;
}

/** One attempt of a poller: when it ended, and which app answered or the error. */
export interface PollLine {
  readonly at: number;
  readonly app?: string;
  readonly remote?: string;
  readonly error?: string;
}

/** mesh-client.mjs repeating one request: its attempts so far, and a stop that ends it. */
export interface Poller {
  readonly lines: readonly PollLine[];
  stop(): void;
}

/** A mesh under test. */
export interface Mesh {
  readonly net: Network;
  readonly served: Served;
  readonly manifests: string;
  pod(name: string): MeshPod;
  outside(name: string): Host;
  /** Runs mesh-client.mjs in pod (or host) `from` as the app user; results in request order. */
  request(from: string, requests: readonly ClientRequest[]): Promise<ClientResult[]>;
  /** Starts repeating `request` from pod `from` every `intervalMs`; resolves once the first attempt is in. */
  poll(t: TestContext, from: string, request: ClientRequest, intervalMs: number): Promise<Poller>;
  /** Runs a command inside the namespace of pod or host `name` (as root). */
  exec(name: string, args: readonly string[]): Promise<string>;
  /** Rewrites the manifest folder (the server picks the change up live). */
  rewrite(cluster: ClusterSpec): void;
}

/** Starts mesh-app.mjs in `ns`: as the app user in a pod, as root on an outside host (ports below 1024 are fine). */
function spawnApp(t: TestContext, ns: string, name: string, ports: readonly number[], families: readonly string[], inPod: boolean): Promise<void> {
  const json = JSON.stringify({ name, ports, families, maxMs: 900_000 });
  const user = inPod ? ['setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups'] : [];
  const child = spawn('ip', ['netns', 'exec', ns, ...user, process.execPath, APP, json], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => {
    child.stdin.end();
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`app ${name} did not start within 15 s: ${err}`)), 15_000);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      if (out.startsWith('{"ready":true}')) resolve();
      else reject(new Error(`app ${name} failed: ${out} ${err}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app ${name} exited ${code}: ${out} ${err}`));
    });
  });
}

function familiesOf(ips: readonly string[]): string[] {
  return ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4'));
}

/** The real CLI in the pod: capture rules for the pod's IPs (in its interception mode), applied inside its namespace. */
async function capture(ns: string, pod: MeshPodSpec): Promise<void> {
  const mode = pod.interception === 'TPROXY' ? ['--mode', 'tproxy'] : [];
  await must('ip', ['netns', 'exec', ns, process.execPath, BIN, 'capture', '--ips', pod.ips.join(','), ...mode, '--apply']);
}

/** The pod's SDS server on a socket under the mesh folder, ended with the test; returns the bootstrap flag naming it. */
async function sdsFor(t: TestContext, dir: string, spec: MeshPodSpec, certificates: MeshSpec['certificates']): Promise<string[]> {
  if (!certificates) return [];
  const socket = path.join(dir, 'sds', spec.name, 'socket');
  const server = new SdsServer(await certificates(spec));
  t.after(() => server.close());
  await server.listen(socket);
  return ['--sds-socket', socket];
}

/** `biplane bootstrap` for the pod (its interception mode comes from its annotation) and its Envoy, as uid 1337. */
async function sidecar(t: TestContext, mesh: MeshServer, pod: Host, spec: MeshPodSpec, certificates: MeshSpec['certificates']): Promise<MeshPod> {
  const sds = await sdsFor(t, mesh.dir, spec, certificates);
  const r = await run(process.execPath, [BIN, 'bootstrap', '--manifests', mesh.bootstrap, '--proxy', `${NAMESPACE}/${pod.name}`, '--xds-address', `unix:${mesh.socket}`, ...sds]);
  if (r.code !== 0) throw new Error(`biplane bootstrap for ${pod.name} exited ${r.code}: ${r.stderr}`);
  const bootstrap = JSON.parse(r.stdout) as { node: { id: string; metadata: Record<string, unknown> } };
  const caps = spec.interception === 'TPROXY' ? { ambientCaps: ['net_admin'] } : {};
  const envoy = await startEnvoy(t, { bootstrap, netns: pod.ns, uid: PROXY_UID, gid: PROXY_UID, ...caps, name: `envoy ${pod.name}`, logLevel: 'warning' });
  return { ...pod, envoy, nodeId: bootstrap.node.id, metadata: bootstrap.node.metadata };
}

/** Where the mesh's server reads and listens: the served manifest folder, the sidecars' bootstrap folder, the socket. */
interface MeshServer {
  readonly dir: string;
  readonly manifests: string;
  readonly bootstrap: string;
  readonly socket: string;
  readonly served: Served;
}

/** Writes the manifests and starts `biplane serve` on them, xDS on a Unix socket the proxy user can reach. */
async function serveMesh(t: TestContext, spec: MeshSpec, all: readonly MeshPodSpec[]): Promise<MeshServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'biplane-mesh-'));
  chmodSync(dir, 0o755); // the sidecars (uid 1337) reach the xDS socket in here
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const manifests = path.join(dir, 'manifests');
  mkdirSync(manifests);
  writeCluster(manifests, spec);
  // Sidecars are bootstrapped from the whole cluster, so a waiting pod's proxy already knows its own identity.
  const bootstrap = path.join(dir, 'bootstrap');
  mkdirSync(bootstrap);
  writeCluster(bootstrap, { ...spec, pods: all });
  const socket = path.join(dir, 'xds.sock');
  const served = await serve(manifests, socket, spec.serveArgs ?? []);
  t.after(async () => {
    await served.proc.kill();
    if (!(t as unknown as { passed?: boolean }).passed) console.log(`--- biplane serve stderr ---\n${served.proc.stderr.slice(-4000)}\n---`);
  });
  chmodSync(socket, 0o666);
  for (const address of served.listening.xdsTls) if (address.startsWith('unix:')) chmodSync(address.slice('unix:'.length), 0o666);
  return { dir, manifests, bootstrap, socket, served };
}

/** What a sidecar injection does, per pod: capture rules, the app, the sidecar; outside hosts get only the app. */
async function startHosts(t: TestContext, net: Network, spec: MeshSpec, all: readonly MeshPodSpec[], server: MeshServer): Promise<Map<string, MeshPod>> {
  const pods = new Map<string, MeshPod>();
  await Promise.all([
    ...all.map(async (p) => {
      const host = net.host(p.name);
      await capture(host.ns, p);
      await spawnApp(t, host.ns, p.name, p.appPorts, familiesOf(p.ips), true);
      const agentFlags = spec.agent?.(p);
      const pod = agentFlags
        ? { ...host, ...(await startAgentPod(t, { host, pod: `${NAMESPACE}/${p.name}`, manifests: server.bootstrap, xdsSocket: server.socket, dir: server.dir, uid: PROXY_UID, args: agentFlags })) }
        : await sidecar(t, server, host, p, spec.certificates);
      pods.set(p.name, pod);
    }),
    ...(spec.outside ?? []).map((o) => spawnApp(t, net.host(o.name).ns, o.name, o.appPorts, familiesOf(o.ips), false)),
  ]);
  return pods;
}

/** Builds the whole mesh for test `t`, waits until every sidecar is configured, and tears it all down when `t` ends. */
export async function startMesh(t: TestContext, spec: MeshSpec): Promise<Mesh> {
  const all = [...spec.pods, ...(spec.waiting ?? [])];
  const net = await createNetwork([
    ...all.map((p) => ({ name: p.name, ips: p.ips, ...(spec.podEtcHosts ? { etcHosts: spec.podEtcHosts } : {}) })),
    ...(spec.outside ?? []).map((o) => ({ name: o.name, ips: o.ips })),
  ]);
  t.after(() => net.destroy());
  const server = await serveMesh(t, spec, all);
  const pods = await startHosts(t, net, spec, all, server);
  const asApp = ['setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups'];
  const mesh: Mesh = {
    net,
    served: server.served,
    manifests: server.manifests,
    pod(name) {
      const p = pods.get(name);
      if (!p) throw new Error(`no sidecar pod ${name}`);
      return p;
    },
    outside: (name) => net.host(name),
    async request(from, requests) {
      const out = await must('ip', ['netns', 'exec', net.host(from).ns, ...asApp, process.execPath, CLIENT, JSON.stringify({ requests })]);
      return JSON.parse(out) as ClientResult[];
    },
    poll: (pt, from, request, intervalMs) => startPoller(pt, net.host(from).ns, request, intervalMs),
    exec: (name, args) => must('ip', ['netns', 'exec', net.host(name).ns, ...args]),
    rewrite: (cluster) => writeCluster(server.manifests, cluster),
  };
  await converged(mesh, [...pods.values()]);
  return mesh;
}

/** Repeats `request` from namespace `ns` (mesh-client.mjs in poll mode), ended by `stop` or when `t` ends. */
function startPoller(t: TestContext, ns: string, request: ClientRequest, intervalMs: number): Promise<Poller> {
  const user = ['setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups'];
  const json = JSON.stringify({ poll: request, intervalMs });
  const child = spawn('ip', ['netns', 'exec', ns, ...user, process.execPath, CLIENT, json], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: PollLine[] = [];
  let partial = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const part of parts) if (part.trim() !== '') lines.push(JSON.parse(part) as PollLine);
  });
  const stop = (): void => {
    child.stdin.end();
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  t.after(stop);
  return waitFor(() => lines.length > 0, 15_000, 'the poller\'s first attempt').then(() => ({ lines, stop }));
}

interface SynczRow {
  readonly nodeId: string;
  readonly nacks: number;
  readonly streams: readonly { readonly types: readonly { readonly type: string; readonly status: string; readonly error?: string }[] }[];
}

/**
 * Waits until every sidecar has accepted and activated its configuration (Envoy's own counters, nothing warming,
 * server LIVE) and biplane's /debug/syncz shows all four types SYNCED for it; fails on any rejection or NACK.
 */
export async function converged(mesh: Pick<Mesh, 'served'>, pods: readonly MeshPod[]): Promise<void> {
  await Promise.all(
    pods.map(async (p) => {
      const health = await waitConverged(p.envoy, 60_000);
      if (Object.keys(health.rejected).length > 0) throw new Error(`${p.name}'s Envoy rejected config: ${JSON.stringify(health.rejected)}\n${p.envoy.logTail(30)}`);
    }),
  );
  let rows: SynczRow[] = [];
  await waitFor(
    async () => {
      rows = ((await mesh.served.admin('/debug/syncz')) as { proxies: SynczRow[] }).proxies;
      return pods.every((p) => {
        const types = rows.find((r) => r.nodeId === p.nodeId)?.streams[0]?.types ?? [];
        return types.length === 4 && types.every((ty) => ty.status === 'SYNCED');
      });
    },
    30_000,
    'biplane to see every sidecar ACK all four types',
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${JSON.stringify(rows, null, 1)}`);
  });
  const nacked = rows.filter((r) => r.nacks > 0);
  if (nacked.length > 0) throw new Error(`NACKs: ${JSON.stringify(nacked)}`);
}

/**
 * Makes pod `name` refuse (TCP reset) new connections of one family to `port` arriving on eth0, as a server that
 * stops accepting on that family; returns the undo.
 */
export async function refuseFamily(mesh: Pick<Mesh, 'exec'>, name: string, family: 'IPv4' | 'IPv6', port: number): Promise<() => Promise<void>> {
  const tool = family === 'IPv4' ? 'iptables' : 'ip6tables';
  const rule = ['INPUT', '-i', 'eth0', '-p', 'tcp', '-m', 'conntrack', '--ctorigdstport', String(port), '-j', 'REJECT', '--reject-with', 'tcp-reset'];
  await mesh.exec(name, [tool, '-I', ...rule]);
  return async () => {
    await mesh.exec(name, [tool, '-D', ...rule]);
  };
}

/** Envoy counters of `pod` whose names match `pattern` (a regex over the full stat name), summed. */
export async function counter(pod: MeshPod, pattern: RegExp): Promise<number> {
  const stats = await pod.envoy.stats();
  let sum = 0;
  for (const [name, value] of stats) if (pattern.test(name)) sum += value;
  return sum;
}
