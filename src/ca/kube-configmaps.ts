// The root's ConfigMaps through the Kubernetes API: get, create and replace `biplane-ca-root-cert` in any namespace,
// nothing else (deploy/ca-clusterrole.yaml grants exactly this; test/deploy/rbac.test.ts holds them together).
import { CoreV1Api, KubeConfig } from '../sources/kube/client.ts';
import type { ConfigMapApi } from './root-configmaps.ts';

/** HTTP status of a client-node failure, if it carries one. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function body(namespace: string, name: string, data: Record<string, string>) {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'biplane' } }, data };
}

/** ConfigMap get/create/replace over a loaded KubeConfig. */
export function kubeConfigMapApi(kc: KubeConfig): ConfigMapApi {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    async read(namespace, name) {
      try {
        return (await api.readNamespacedConfigMap({ name, namespace })).data ?? {};
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new Error(`cannot read ConfigMap ${namespace}/${name}: ${(err as Error).message}`);
      }
    },
    async create(namespace, name, data) {
      try {
        await api.createNamespacedConfigMap({ namespace, body: body(namespace, name, data) });
        return 'created';
      } catch (err) {
        if (statusOf(err) === 409) return 'exists';
        throw new Error(`cannot create ConfigMap ${namespace}/${name}: ${(err as Error).message}`);
      }
    },
    async replace(namespace, name, data) {
      try {
        await api.replaceNamespacedConfigMap({ name, namespace, body: body(namespace, name, data) });
      } catch (err) {
        throw new Error(`cannot replace ConfigMap ${namespace}/${name}: ${(err as Error).message}`);
      }
    },
  };
}
