// `/debug/reachability`: which proxies reach which services over which family — the matrix `analyze`'s dual-stack
// findings are about. Every pod with a proxy (as `analyze` picks them) calls every service's first port once per
// family through its own translated configuration (see request-path.ts). A pure function of the model.
import { podProxyNode, podProxyType } from '../../model/index.ts';
import { parseProxy } from '../../model/index.ts';
import type { IPFamily, ModelIndex, Proxy } from '../../model/index.ts';
import type { ForwardingStrategy, TranslationCache } from '../../translate/index.ts';
import { proxyConfig, requestPath } from './request-path.ts';
import type { PathVerdict } from './request-path.ts';

/** The two families, in the order the matrix shows them. */
export const FAMILIES: readonly IPFamily[] = ['IPv4', 'IPv6'];

/** One family of one cell: how the call ended and, when it reached, over which family it left the proxy. */
export interface ReachCell {
  readonly family: IPFamily;
  readonly verdict: PathVerdict;
  readonly upstreamFamily?: IPFamily;
  readonly error?: string;
}

/** One proxy's row: per service, one cell per family. */
export interface ReachRow {
  readonly proxy: string;
  readonly nodeId: string;
  readonly type: Proxy['type'];
  readonly mode: Proxy['mode'];
  readonly cells: readonly (readonly ReachCell[])[];
}

/** The whole matrix (or its first rows and columns), with how many of its calls reached per family. */
export interface Reachability {
  readonly services: readonly { readonly hostname: string; readonly port: number }[];
  readonly rows: readonly ReachRow[];
  readonly reached: readonly { readonly family: IPFamily; readonly calls: number }[];
  /** Proxies and services past the limits, left out of the matrix. */
  readonly omitted: { readonly proxies: number; readonly services: number };
}

/** How much of a big mesh one matrix covers: it is computed on the event loop the xDS server shares. */
export interface MatrixLimits {
  readonly proxies: number;
  readonly services: number;
}

/** 100 × 200 × 2 simulated calls at most per model generation. */
export const DEFAULT_MATRIX_LIMITS: MatrixLimits = { proxies: 100, services: 200 };

/** The proxies of the model's pods, built from the node each pod's proxy would send. */
export function podProxies(index: ModelIndex): Proxy[] {
  return index.model.pods.flatMap((pod) => {
    const type = podProxyType(pod);
    if (type === undefined || pod.ips.length === 0) return [];
    const proxy = parseProxy(podProxyNode(pod, type), index.model).proxy;
    return proxy ? [proxy] : [];
  });
}

/** The matrix for `proxies` against every service of `index` with a port, up to `limits`. */
export function reachability(
  index: ModelIndex,
  proxies: readonly Proxy[],
  strategy: ForwardingStrategy,
  cache?: TranslationCache,
  limits: MatrixLimits = DEFAULT_MATRIX_LIMITS,
): Reachability {
  const allTargets = index.model.services.flatMap((s) => (s.ports[0] ? [{ service: s, port: s.ports[0] }] : []));
  const targets = allTargets.slice(0, limits.services);
  const reached = new Map<IPFamily, number>(FAMILIES.map((f) => [f, 0]));
  const rows = proxies.slice(0, limits.proxies).map((proxy): ReachRow => {
    const config = proxyConfig(index, proxy, strategy, cache);
    const cells = targets.map(({ service, port }) =>
      FAMILIES.map((family): ReachCell => {
        const path = requestPath(index, config, service, port, family);
        if (path.verdict === 'reached') reached.set(family, (reached.get(family) ?? 0) + 1);
        return {
          family,
          verdict: path.verdict,
          ...(path.upstreamFamily ? { upstreamFamily: path.upstreamFamily } : {}),
          ...(path.error !== undefined ? { error: path.error } : {}),
        };
      }),
    );
    return { proxy: `${proxy.namespace}/${proxy.pod ?? proxy.id}`, nodeId: proxy.id, type: proxy.type, mode: proxy.mode, cells };
  });
  const services = targets.map((t) => ({ hostname: t.service.hostname, port: t.port.port }));
  const omitted = { proxies: Math.max(0, proxies.length - limits.proxies), services: allTargets.length - targets.length };
  return { services, rows, reached: FAMILIES.map((family) => ({ family, calls: reached.get(family) ?? 0 })), omitted };
}
