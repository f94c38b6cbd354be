// Step 3 of the analyzer: every pod's proxy built as the server would build it (same node shape, same parseProxy),
// translated for its kind (Envoy sidecar or proxyless gRPC) and run through the resource validator.
import { parseProxy } from '../model/index.ts';
import type { MeshModel, ModelIndex, Pod, Problem, Proxy, ProxyNode } from '../model/index.ts';
import { translate } from '../translate/index.ts';
import type { ForwardingStrategy } from '../translate/index.ts';
import { translateProxyless } from '../translate/proxyless/index.ts';
import { validateResources } from '../translate/validate/index.ts';
import type { ValidationProblem } from '../translate/validate/index.ts';
import type { Finding } from './types.ts';

/** Istio's annotation naming the injection templates; `grpc-agent` (or any `grpc*` template) means proxyless gRPC. */
export const TEMPLATES_ANNOTATION = 'inject.istio.io/templates';

/** Istio's annotation that turns sidecar injection off for one pod. */
export const INJECT_ANNOTATION = 'sidecar.istio.io/inject';

/** How a pod talks to the control plane: through an Envoy sidecar, as a proxyless gRPC app, or not at all. */
export function podProxyType(pod: Pod): Proxy['type'] | undefined {
  const templates = (pod.annotations[TEMPLATES_ANNOTATION] ?? '').split(',').map((t) => t.trim());
  if (templates.some((t) => t.startsWith('grpc'))) return 'proxyless';
  return pod.annotations[INJECT_ANNOTATION] === 'false' ? undefined : 'sidecar';
}

/** Istio's annotation choosing how a pod's traffic is captured (`REDIRECT` or `TPROXY`); the injector passes it on. */
export const INTERCEPTION_ANNOTATION = 'sidecar.istio.io/interceptionMode';

/**
 * The xDS node a pod's proxy sends: an Istio-style id and INSTANCE_IPS from `podIPs` (GENERATOR grpc when proxyless),
 * and INTERCEPTION_MODE when the pod's annotation names one, as Istio's injector sets it.
 */
export function podProxyNode(pod: Pod, type: Proxy['type']): ProxyNode {
  const first = pod.ips[0]?.ip ?? '';
  const interception = pod.annotations[INTERCEPTION_ANNOTATION];
  const metadata: Record<string, unknown> = {
    NAMESPACE: pod.namespace,
    NAME: pod.name,
    INSTANCE_IPS: pod.ips.map((a) => a.ip).join(','),
    ...(type === 'proxyless' ? { GENERATOR: 'grpc' } : {}),
    ...(type === 'sidecar' && interception ? { INTERCEPTION_MODE: interception } : {}),
  };
  return { id: `${type}~${first}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`, metadata };
}

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
    findings.push(...checkOne(index, parsed.proxy, strategy).map((f) => ({ ...at, ...f })));
  }
  onProgress?.(pods.length, pods.length);
  return { proxies, findings };
}

/** Translates one proxy and validates the result as its client would; a translator crash is a finding too. */
function checkOne(index: ModelIndex, proxy: Proxy, strategy: ForwardingStrategy): Omit<Finding, 'file' | 'line' | 'object'>[] {
  const client = proxy.type === 'proxyless' ? 'grpc' : 'envoy';
  try {
    const resources = proxy.type === 'proxyless' ? translateProxyless(index, proxy) : translate(index, proxy, { strategy });
    return validateResources(resources, { client }).map((p) => xdsFinding(p, client));
  } catch (err) {
    return [{ severity: 'error', code: 'proxy', message: `translation failed: ${(err as Error).message}` }];
  }
}

/** Where a pod is written, as the start of a finding about its proxy. */
function podOrigin(pod: Pod): Pick<Finding, 'file' | 'line' | 'object'> {
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
  return { ...podOrigin(pod), severity: p.severity, code: 'proxy', message: `proxy: ${p.message}`, ...(field ? { field: `proxy.${field}` } : {}) };
}

/** The last part of a type URL: `type.googleapis.com/envoy.config.listener.v3.Listener` → `Listener`. */
function typeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/** A validator finding: the resource and path as the field, the rule and client in the message. */
export function xdsFinding(p: ValidationProblem, client: 'envoy' | 'grpc'): Omit<Finding, 'file' | 'line' | 'object'> {
  const field = `${typeName(p.typeUrl)}[${p.resource}]${p.path === '' ? '' : `.${p.path}`}`;
  const who = client === 'grpc' ? 'gRPC' : 'Envoy';
  return { severity: 'error', code: 'xds', field, message: `${who}: ${p.message} (${p.rule})` };
}
