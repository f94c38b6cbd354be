// `/debug/mesh`: the model as the web view lists it — services with their VIPs per family and their policy, pods with
// their IPs, IP mode and kind of proxy. A pure function of the model.
import { podProxyType } from '../../model/index.ts';
import { ipModeOf } from '../../model/index.ts';
import type { Address, Endpoint, IPFamily, MeshModel, Service } from '../../model/index.ts';

/** One service row of the web view. */
export interface MeshService {
  readonly hostname: string;
  readonly kind: Service['kind'];
  readonly policy: Service['ipFamilyPolicy'];
  readonly families: readonly IPFamily[];
  /** VIPs in `clusterIPs` order, primary first, each with its family. */
  readonly vips: readonly Address[];
  /** `headless`, `ExternalName <name>`, `DNS`, or `VIP` when the service has VIPs. */
  readonly addressing: string;
  readonly forwarding: Service['forwarding'];
  readonly ports: readonly string[];
  /** Backends (ready or not) and the families their addresses cover. */
  readonly endpoints: number;
  readonly endpointFamilies: readonly IPFamily[];
}

/** One pod row of the web view. */
export interface MeshPod {
  readonly name: string;
  readonly namespace: string;
  readonly ips: readonly string[];
  /** IPv4, IPv6, Dual, or `none` without podIPs. */
  readonly mode: string;
  /** sidecar, proxyless, or none. */
  readonly proxy: string;
}

/** The web view's mesh lists. */
export interface MeshOverview {
  readonly ready: boolean;
  readonly clusterFamilies: readonly IPFamily[];
  readonly services: readonly MeshService[];
  readonly pods: readonly MeshPod[];
}

/** The families present among some addresses, IPv4 first. */
function familiesOf(addresses: readonly Address[]): IPFamily[] {
  return (['IPv4', 'IPv6'] as const).filter((f) => addresses.some((a) => a.family === f));
}

function addressing(s: Service): string {
  if (s.vips.length > 0) return s.autoAllocated ? 'auto-allocated VIP' : 'VIP';
  if (s.externalName !== undefined) return `ExternalName ${s.externalName}`;
  if (s.headless) return 'headless';
  return s.resolution === 'DNS' ? 'DNS' : 'no VIP';
}

/** Services and pods of `model` as the web view lists them (an empty, not-ready overview before the first build). */
export function meshOverview(model: MeshModel | undefined): MeshOverview {
  if (!model) return { ready: false, clusterFamilies: [], services: [], pods: [] };
  const backends = new Map<string, Endpoint[]>();
  for (const e of model.endpoints) backends.set(e.service, [...(backends.get(e.service) ?? []), e]);
  const services = model.services.map((s): MeshService => {
    const eps = backends.get(s.hostname) ?? [];
    return {
      hostname: s.hostname,
      kind: s.kind,
      policy: s.ipFamilyPolicy,
      families: s.ipFamilies,
      vips: s.vips,
      addressing: addressing(s),
      forwarding: s.forwarding,
      ports: s.ports.map((p) => `${p.port}/${p.protocol}`),
      endpoints: eps.length,
      endpointFamilies: familiesOf(eps.flatMap((e) => e.addresses)),
    };
  });
  const pods = model.pods.map((p): MeshPod => ({
    name: p.name,
    namespace: p.namespace,
    ips: p.ips.map((a) => a.ip),
    mode: p.ips.length > 0 ? ipModeOf(p.ips) : 'none',
    proxy: podProxyType(p) ?? 'none',
  }));
  return { ready: true, clusterFamilies: model.kubeClusterFamilies, services, pods };
}
