// What the web view's JSON pages answer, from the server's live state: the current build context (model, index,
// strategy, translation cache) and the connected proxies. Reachability is computed once per model generation.
import type { IPFamily, Proxy } from '../../model/index.ts';
import type { BuildContext } from '../proxy-build.ts';
import { meshOverview } from './mesh.ts';
import type { MeshOverview } from './mesh.ts';
import { FAMILIES, podProxies, reachability } from './reachability.ts';
import type { Reachability } from './reachability.ts';
import { proxyConfig, requestPath } from './request-path.ts';
import type { RequestPath } from './request-path.ts';

/** An HTTP answer as data: status and JSON body. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** The web view's pages. */
export interface UiView {
  mesh(): MeshOverview;
  reachability(): Reachability | { readonly ready: false };
  /** `proxyID`, `host` (service hostname), optional `port` (default: the first) and `family` (default: both). */
  requestPath(query: URLSearchParams): JsonAnswer;
}

/** Where the view reads the server's state. */
export interface UiState {
  context(): BuildContext | undefined;
  /** The connected proxy with this node id (its own node wins over the pod's imagined one). */
  connected(nodeId: string): Proxy | undefined;
}

/** The view over `state`. */
export function uiView(state: UiState): UiView {
  const matrices = new WeakMap<BuildContext, Reachability>();
  return {
    mesh: () => meshOverview(state.context()?.model),
    reachability: () => {
      const ctx = state.context();
      if (!ctx) return { ready: false };
      let matrix = matrices.get(ctx);
      if (!matrix) matrices.set(ctx, (matrix = reachability(ctx.index, podProxies(ctx.index), ctx.strategy, ctx.translations)));
      return matrix;
    },
    requestPath: (query) => pathAnswer(state, query),
  };
}

/** `/debug/request-path`: both families (or the one asked for) of one call, or what is wrong with the question. */
export function pathAnswer(state: UiState, query: URLSearchParams): JsonAnswer {
  const ctx = state.context();
  if (!ctx) return { status: 503, body: { error: 'no model has been built yet' } };
  const id = query.get('proxyID') ?? query.get('proxyId') ?? '';
  const host = query.get('host') ?? '';
  if (id === '' || host === '') return { status: 400, body: { error: 'give ?proxyID=<node id>&host=<service hostname>[&port=N][&family=IPv4|IPv6]' } };
  const proxy = state.connected(id) ?? podProxies(ctx.index).find((p) => p.id === id);
  if (!proxy) return { status: 404, body: { error: `no connected proxy and no pod's proxy with node id ${JSON.stringify(id)}` } };
  const service = ctx.index.model.services.find((s) => s.hostname === host);
  if (!service) return { status: 404, body: { error: `no service ${JSON.stringify(host)}` } };
  const portText = query.get('port');
  const port = portText === null || portText === '' ? service.ports[0] : service.ports.find((p) => String(p.port) === portText);
  if (!port) return { status: 404, body: { error: `${host} has no port ${portText ?? ''}`.trim() } };
  const family = query.get('family');
  if (family !== null && family !== '' && !FAMILIES.includes(family as IPFamily)) return { status: 400, body: { error: 'family is IPv4 or IPv6' } };
  const families = family ? [family as IPFamily] : FAMILIES;
  const config = proxyConfig(ctx.index, proxy, ctx.strategy, ctx.translations);
  const paths: RequestPath[] = families.map((f) => requestPath(ctx.index, config, service, port, f));
  const connected = state.connected(id) !== undefined;
  return { status: 200, body: { proxy: { nodeId: proxy.id, type: proxy.type, mode: proxy.mode, ips: proxy.ips.map((a) => a.ip), connected }, paths } };
}
