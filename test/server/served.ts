// What a server publishes per proxy, as tests compare it: per type URL, the version and each resource's bytes (hex),
// or that the proxy's build was refused (it keeps its last good snapshot), or that nothing was published yet.
import { buildModel, podProxyNode, podProxyType } from '../../src/model/index.ts';
import type { ProxyNode, SourceObject } from '../../src/model/index.ts';
import type { Snapshot } from '../../src/xds/index.ts';

/** What a proxy is served now: per type URL, its version and each resource's bytes (hex); or that it was refused. */
export type Served = Record<string, { version: string; resources: Record<string, string> }> | 'rejected' | 'nothing';

/** Published snapshots and refusals per node id, as the server's registry keeps them. */
export class Holdings {
  readonly published = new Map<string, Snapshot>();
  readonly rejected = new Set<string>();

  /** Keeps what a build gave `node`: its snapshot when it has one, and whether it was refused. */
  keep(node: ProxyNode, build: { snapshot?: Snapshot | undefined; rejected: boolean }): void {
    if (build.snapshot) this.published.set(node.id, build.snapshot);
    if (build.rejected) this.rejected.add(node.id);
    else this.rejected.delete(node.id);
  }

  /** What `node` is served now. */
  of(node: ProxyNode): Served {
    if (this.rejected.has(node.id)) return 'rejected';
    const snapshot = this.published.get(node.id);
    if (!snapshot) return 'nothing';
    const out: Exclude<Served, string> = {};
    for (const [url, type] of snapshot.types) {
      const resources = Object.fromEntries([...type.resources].map(([name, r]) => [name, Buffer.from(r.bytes).toString('hex')]));
      out[url] = { version: type.version, resources };
    }
    return out;
  }
}

/**
 * Every pod's node over a whole history (pods come and go, their nodes stay), and for each sidecar one twin per entry
 * of `twins` (suffix → extra node metadata): another view of the same pod.
 */
export function historyNodes(history: readonly (readonly SourceObject[])[], twins: Readonly<Record<string, Readonly<Record<string, string>>>>): ProxyNode[] {
  const byId = new Map<string, ProxyNode>();
  for (const objects of history) {
    for (const pod of buildModel(objects).model.pods) {
      const type = podProxyType(pod) ?? 'sidecar';
      const node = podProxyNode(pod, type);
      if (byId.has(node.id)) continue;
      byId.set(node.id, node);
      if (type !== 'sidecar') continue;
      for (const [suffix, extra] of Object.entries(twins)) byId.set(`${node.id}${suffix}`, { id: `${node.id}${suffix}`, metadata: { ...node.metadata, ...extra } });
    }
  }
  return [...byId.values()];
}
