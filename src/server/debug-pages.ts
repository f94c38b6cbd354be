// The JSON the /debug pages serve, built from the live state: syncz, problems, registryz. Pure functions over it.
import type { MeshModel, Problem } from '../model/index.ts';
import type { StreamInfo } from '../xds/index.ts';
import { typeLabel } from './metrics.ts';
import type { ProxyEntry } from './proxies.ts';
import type { SyncStatus } from './sync-status.ts';

/** `/debug/syncz`: every connected proxy with its streams' per-type status, and every node that ever NACKed. */
export function syncz(entries: readonly ProxyEntry[], streams: readonly StreamInfo[], sync: SyncStatus): unknown {
  const byKey = new Map<string, StreamInfo[]>();
  for (const s of streams) {
    if (s.snapshotKey === undefined) continue;
    const list = byKey.get(s.snapshotKey) ?? [];
    list.push(s);
    byKey.set(s.snapshotKey, list);
  }
  const proxies = entries.map((e) => ({
    nodeId: e.nodeId,
    key: e.key,
    ...(e.proxy
      ? {
          type: e.proxy.type,
          namespace: e.proxy.namespace,
          ...(e.proxy.pod !== undefined ? { pod: e.proxy.pod } : {}),
          ipMode: e.proxy.mode,
          ips: e.proxy.ips.map((a) => a.ip),
        }
      : {}),
    connectedAt: new Date(e.connectedAt).toISOString(),
    ...(e.publishedAt !== undefined ? { publishedAt: new Date(e.publishedAt).toISOString() } : {}),
    snapshot: e.published ? Object.fromEntries([...e.published.types].map(([url, t]) => [typeLabel(url), t.version])) : null,
    rejected: e.rejectedAt !== undefined,
    nacks: sync.nacks(e.nodeId),
    streams: (byKey.get(e.key) ?? []).map((s) => sync.stream(s)),
  }));
  return { proxies, nackHistory: sync.nackHistory() };
}

/** `/debug/problems`: what is wrong now, by where it was found. */
export function problemsPage(source: readonly Problem[], model: readonly Problem[], entries: readonly ProxyEntry[]): unknown {
  const proxies = entries
    .filter((e) => e.problems.length > 0 || e.rejectedAt !== undefined)
    .map((e) => ({ nodeId: e.nodeId, rejected: e.rejectedAt !== undefined, problems: e.problems }));
  const all = [...source, ...model, ...proxies.flatMap((p) => p.problems)];
  return {
    counts: {
      errors: all.filter((p) => p.severity === 'error').length,
      warnings: all.filter((p) => p.severity === 'warning').length,
    },
    source,
    model,
    proxies,
  };
}

/** `/debug/registryz`: the model as built (null before the first build). */
export function registryz(model: MeshModel | undefined): unknown {
  if (!model) return { ready: false };
  return { ready: true, ...model };
}
