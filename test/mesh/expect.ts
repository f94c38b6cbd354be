// Readable outcomes for mesh assertions: a client result reduced to one line ("sd4 IPv4 from 127.0.0.6", "no route"),
// Envoy stat names for listeners and clusters, and counter deltas around an action.
import type { ClientRequest, ClientResult, MeshPod } from './mesh.ts';
import { counter } from './mesh.ts';

/** `host:port` with IPv6 bracketed, the key of a request in an outcome table. */
export function target(r: Pick<ClientRequest, 'kind' | 'host' | 'port'>): string {
  return `${r.kind} ${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
}

/**
 * How a failed attempt ended, as a category: refused (RST), no route, a hang (the client's bound ran out), or closed
 * without a reply (a proxy accepted the connection, then found no upstream).
 */
export function failure(error: string): string {
  if (error === 'empty') return 'closed without a reply';
  if (error === 'ECONNREFUSED' || error === 'ECONNRESET' || error === 'EPIPE') return 'refused';
  if (error === 'ENETUNREACH' || error === 'EHOSTUNREACH' || error === 'EADDRNOTAVAIL') return 'no route';
  if (error === 'timeout') return 'hang';
  return error;
}

/** One result as a line: `<app> <family the app was reached over> from <remote>`, or the failure category. */
export function outcome(r: ClientResult): string {
  if (r.reply) return `${r.reply.app} ${r.reply.localFamily} from ${r.reply.remote}`;
  if (r.ended !== undefined) return `ended ${failure(r.ended)}${r.data ? ` after data ${JSON.stringify(r.data).slice(0, 60)}` : ''}`;
  return failure(r.error ?? '?') + (r.text ? ` (${r.text.slice(0, 80)})` : '');
}

/** Results keyed by target, for one deepEqual per scenario. */
export function outcomes(results: readonly ClientResult[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [target(r), outcome(r)]));
}

/** Envoy's stat-name form of a listener address: `0.0.0.0_15001`, `[__]_15006`, `198.19.0.10_80`. */
export function listenerStat(ip: string, port: number, stat: string): RegExp {
  const address = ip.includes(':') ? `[${ip.replaceAll(':', '_')}]` : ip;
  return new RegExp(`^listener\\.${escape(`${address}_${port}`)}\\.${escape(stat)}$`);
}

/** A cluster's stat, e.g. `cluster.outbound|80||web.mesh.svc.cluster.local.upstream_cx_total`. */
export function clusterStat(cluster: string, stat: string): RegExp {
  return new RegExp(`^cluster\\.${escape(cluster)}\\.${escape(stat)}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A counter to watch: a stat of one pod's Envoy (summed over every name `stat` matches). */
export interface Watched {
  readonly pod: MeshPod;
  readonly stat: RegExp;
}

/** Runs `action` and returns its value with how much each watched counter grew meanwhile. */
export async function deltas<T>(watched: Readonly<Record<string, Watched>>, action: () => Promise<T>): Promise<{ value: T; delta: Record<string, number> }> {
  const read = (): Promise<number[]> => Promise.all(Object.values(watched).map((w) => counter(w.pod, w.stat)));
  const before = await read();
  const value = await action();
  const after = await read();
  return { value, delta: Object.fromEntries(Object.keys(watched).map((k, i) => [k, (after[i] ?? 0) - (before[i] ?? 0)])) };
}

/** `deltas` for counters of one pod. */
export function grew<T>(pod: MeshPod, stats: Readonly<Record<string, RegExp>>, action: () => Promise<T>): Promise<{ value: T; delta: Record<string, number> }> {
  return deltas(Object.fromEntries(Object.entries(stats).map(([k, stat]) => [k, { pod, stat }])), action);
}

/** The FQDN of a mesh service. */
export function fqdn(service: string): string {
  return `${service}.mesh.svc.cluster.local`;
}
