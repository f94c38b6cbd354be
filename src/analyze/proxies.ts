// Step 3 of the analyzer: every pod's proxy built as the server would build it (same node shape, same parseProxy),
// translated for its kind (Envoy sidecar or proxyless gRPC) and run through the resource validator.
import { parseProxy, podProxyNode, podProxyType } from '../model/index.ts';
import type { MeshModel, ModelIndex, Pod, Problem, Proxy } from '../model/index.ts';
import { buildProxyConfig, clientOf, validationProblem } from '../pipeline/index.ts';
import { TranslationCache, type ForwardingStrategy } from '../translate/index.ts';
import type { ResourceProblem, ValidationClient } from '../validate/index.ts';
import { findingOf, type FindingPlace } from './findings.ts';
import type { Finding } from './types.ts';

/** The proxies that were checked and what was found checking them. */
export interface ProxyCheck {
  readonly proxies: readonly Proxy[];
  readonly findings: readonly Finding[];
}

/** The pods to check: the named ones (unknown names are findings), else every pod that has a proxy. */
export function selectPods(model: MeshModel, names: readonly string[]): { pods: Pod[]; findings: Finding[] } {
  if (names.length === 0) return { pods: model.pods.filter((p) => podProxyType(p) !== undefined), findings: [] };
  const pods: Pod[] = [];
  const findings: Finding[] = [];
  for (const name of [...new Set(names)].sort()) {
    const pod = model.pods.find((p) => `${p.namespace}/${p.name}` === name);
    if (pod) pods.push(pod);
    else findings.push({ severity: 'error', code: 'pod-not-found', message: `pod ${name} is not in the manifests`, object: `Pod/${name}` });
  }
  return { pods, findings };
}

/**
 * Builds, translates and validates the proxy of each pod. A pod named explicitly is checked as a sidecar even with
 * injection off, and gets a warning when it has no podIPs; when scanning all pods, pods without a proxy are skipped.
 */
export function checkProxies(
  index: ModelIndex,
  pods: readonly Pod[],
  strategy: ForwardingStrategy,
  explicit: boolean,
  onProgress?: (done: number, total: number) => void,
): ProxyCheck {
  const proxies: Proxy[] = [];
  const findings: Finding[] = [];
  // One memo for every pod, as the server keeps one: proxies of one profile share their outbound assembly.
  const cache = new TranslationCache();
  let done = 0;
  for (const pod of pods) {
    onProgress?.(done++, pods.length);
    const at = podOrigin(pod);
    const type = podProxyType(pod) ?? (explicit ? 'sidecar' : undefined);
    if (type === undefined) continue;
    if (pod.ips.length === 0) {
      if (explicit) findings.push({ ...at, severity: 'warning', code: 'proxy', field: 'status.podIPs', message: 'the pod has no podIPs, so its proxy cannot be checked' });
      continue;
    }
    const parsed = parseProxy(podProxyNode(pod, type), index.model);
    findings.push(...parsed.problems.map((p) => proxyFinding(pod, p)));
    if (!parsed.proxy) continue;
    proxies.push(parsed.proxy);
    findings.push(...checkOne(index, parsed.proxy, strategy, cache, at));
  }
  onProgress?.(pods.length, pods.length);
  return { proxies, findings };
}

/**
 * Builds one proxy's configuration and validates it as its client would: with no configuration the problems say why
 * translation failed (code proxy), otherwise they are the services the translator left out (code proxy) and the
 * validator's findings (code xds).
 */
function checkOne(index: ModelIndex, proxy: Proxy, strategy: ForwardingStrategy, cache: TranslationCache, at: FindingPlace): Finding[] {
  const built = buildProxyConfig(index, proxy, { strategy, cache });
  if (!built.resources) return built.problems.map((p) => findingOf(p, 'proxy', at));
  const leftOut = built.leftOut.map((p) => findingOf(p, 'proxy', at));
  return [...leftOut, ...built.problems.map((p) => xdsProblemFinding(p, clientOf(proxy), at))];
}

/** Where a pod is written, as the start of a finding about its proxy. */
function podOrigin(pod: Pod): FindingPlace {
  const o = pod.origin;
  return {
    ...(o.file !== undefined ? { file: o.file } : {}),
    ...(o.line !== undefined ? { line: o.line } : {}),
    object: o.object ?? `Pod/${pod.namespace}/${pod.name}`,
  };
}

/** A parseProxy problem, moved from the imaginary node onto the pod it was built from. */
function proxyFinding(pod: Pod, p: Problem): Finding {
  const field = p.origin.field;
  return findingOf({ ...p, message: `proxy: ${p.message}`, origin: field ? { field: `proxy.${field}` } : {} }, 'proxy', podOrigin(pod));
}

/** A validator finding: the resource and path as the field, the rule and client in the message. */
export function xdsFinding(p: ResourceProblem, client: ValidationClient): Omit<Finding, 'file' | 'line' | 'object'> {
  return xdsProblemFinding(validationProblem(p), client);
}

/** A validation Problem of `buildProxyConfig` as a finding, naming the client that would reject it. */
function xdsProblemFinding(p: Problem, client: ValidationClient, place?: FindingPlace): Finding {
  const who = client === 'grpc' ? 'gRPC' : 'Envoy';
  return findingOf({ ...p, message: `${who}: ${p.message}` }, 'xds', place);
}
