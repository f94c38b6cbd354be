// Which proxy a pod runs (Envoy sidecar, proxyless gRPC or none) and the xDS node that proxy sends: the one place the
// server, analyze, translate and the tests turn a pod into a proxy's node.
import type { Pod, Proxy } from './types.ts';
import type { ProxyNode } from './proxy.ts';

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
