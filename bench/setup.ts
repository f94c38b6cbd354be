// What every scenario starts from: a generated cluster run through the real model stage, and its proxies parsed the
// way a connecting node is parsed, one representative per IP mode.
import { buildModel, indexModel, parseProxy } from '../src/model/index.ts';
import type { MeshModel, ModelIndex, Proxy } from '../src/model/index.ts';
import { generateCluster } from './cluster.ts';
import type { ClusterShape, Stack, SyntheticCluster, SyntheticNode } from './cluster.ts';

/** The proxy modes the generator makes; `Dual6` is a dual proxy whose first IP is IPv6. */
export const MODES: readonly SyntheticNode['mode'][] = ['IPv4', 'IPv6', 'Dual', 'Dual6'];

/** A cluster after the model stage, with its parsed proxies. */
export interface Prepared {
  readonly shape: ClusterShape;
  readonly cluster: SyntheticCluster;
  readonly model: MeshModel;
  readonly index: ModelIndex;
  /** Every node parsed into a Proxy, in node order. */
  readonly proxies: readonly { readonly node: SyntheticNode; readonly proxy: Proxy }[];
}

/** Generates, builds, indexes and parses; throws if the model stage reports an error (a broken generator). */
export function prepare(shape: ClusterShape): Prepared {
  const cluster = generateCluster(shape);
  return prepareCluster(shape, cluster);
}

/**
 * The model stage over an already generated (maybe edited) cluster. `onePerMode` parses only the first node of each
 * mode (a rebuild after a change: the proxies themselves did not change, so a server would not parse them again).
 */
export function prepareCluster(shape: ClusterShape, cluster: SyntheticCluster, onePerMode = false): Prepared {
  const { model, problems } = buildModel(cluster.objects);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) throw new Error(`generated cluster has ${errors.length} model errors, first: ${errors[0]?.message}`);
  const nodes = onePerMode ? MODES.flatMap((m) => cluster.nodes.find((n) => n.mode === m) ?? []) : cluster.nodes;
  const proxies = nodes.map((node) => {
    const { proxy, problems: proxyProblems } = parseProxy(node, model);
    if (!proxy) throw new Error(`node ${node.id}: ${proxyProblems.map((p) => p.message).join('; ')}`);
    return { node, proxy };
  });
  return { shape, cluster, model, index: indexModel(model), proxies };
}

/** The first proxy of a mode (all proxies of one mode get the same configuration in the generated cluster). */
export function proxyOf(prepared: Prepared, mode: SyntheticNode['mode']): Proxy {
  const found = prepared.proxies.find((p) => p.node.mode === mode);
  if (!found) throw new Error(`no proxy of mode ${mode}`);
  return found.proxy;
}

/** The same shape with another stack. */
export function withStack(shape: ClusterShape, stack: Stack): ClusterShape {
  return { ...shape, stack };
}
