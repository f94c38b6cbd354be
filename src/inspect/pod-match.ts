// Which connected proxy a person means by `<pod>`: `name.namespace`, `namespace/name` or the full node id, as
// istioctl reads it. An unknown or ambiguous name is an error that lists the closest names.
import { proxyName, type SynczProxy } from './syncz.ts';

/** The node id asked for, or why there is none. */
export type PodMatch = { readonly nodeId: string; readonly proxy: SynczProxy } | { readonly error: string };

/** Every way a proxy may be named. */
function namesOf(p: SynczProxy): string[] {
  const names = [p.nodeId];
  if (p.pod !== undefined && p.namespace !== undefined) names.push(`${p.pod}.${p.namespace}`, `${p.namespace}/${p.pod}`);
  return names;
}

/** Levenshtein distance (names are short, so the plain table is fine). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** Up to `max` proxy names closest to `query`: containing it (or its pod part), or a few edits away. */
export function closeMatches(query: string, proxies: readonly SynczProxy[], max = 5): string[] {
  const q = query.toLowerCase();
  const podPart = q.includes('/') ? q.split('/')[1] ?? q : q.split('.')[0] ?? q;
  const scored = proxies.map((p) => {
    const name = proxyName(p);
    const lower = namesOf(p).map((n) => n.toLowerCase());
    const contains = lower.some((n) => n.includes(q) || (podPart !== '' && n.includes(podPart)));
    const distance = Math.min(...lower.map((n) => editDistance(q, n)));
    return { name, score: contains ? 0 : distance };
  });
  const limit = Math.max(3, Math.floor(q.length / 3));
  return [...new Set(scored.filter((s) => s.score <= limit).sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : 1)).map((s) => s.name))].slice(0, max);
}

/** The one connected proxy `query` names; an error listing candidates when none or several do. */
export function matchProxy(query: string, proxies: readonly SynczProxy[]): PodMatch {
  const hits = proxies.filter((p) => namesOf(p).includes(query));
  const ids = [...new Set(hits.map((p) => p.nodeId))].sort();
  if (ids.length === 1 && hits[0]) return { nodeId: ids[0] ?? '', proxy: hits[0] };
  if (ids.length > 1) {
    return { error: `${JSON.stringify(query)} is ambiguous: ${ids.length} connected proxies match; give the node id:\n${ids.map((id) => `  ${id}`).join('\n')}` };
  }
  if (proxies.length === 0) return { error: `no proxy is connected, so there is no ${JSON.stringify(query)}` };
  const close = closeMatches(query, proxies);
  const hint = close.length > 0 ? `; close matches:\n${close.map((n) => `  ${n}`).join('\n')}` : `; ${proxies.length} proxies are connected (see biplane proxy-status)`;
  return { error: `no connected proxy named ${JSON.stringify(query)} (give name.namespace, namespace/name or the node id)${hint}` };
}
