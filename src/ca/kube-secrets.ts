// The CA's Secret through the Kubernetes API: get and create one Secret in biplane's own namespace, nothing else
// (deploy/ca-role.yaml grants exactly this; test/deploy/rbac.test.ts holds the two together).
import { CoreV1Api, KubeConfig } from '../sources/kube/client.ts';
import type { SecretApi } from './store.ts';

/** HTTP status of a client-node failure, if it carries one. */
function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** Secret get/create in `namespace` over a loaded KubeConfig. */
export function kubeSecretApi(kc: KubeConfig, namespace: string): SecretApi {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    async read(name) {
      try {
        const secret = await api.readNamespacedSecret({ name, namespace });
        const data: Record<string, string> = {};
        for (const [key, value] of Object.entries(secret.data ?? {})) data[key] = Buffer.from(value, 'base64').toString('utf8');
        return data;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw new Error(`cannot read Secret ${namespace}/${name}: ${(err as Error).message}`);
      }
    },
    async create(name, data) {
      const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
      const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'biplane' } }, type: 'Opaque', data: encoded };
      try {
        await api.createNamespacedSecret({ namespace, body });
        return 'created';
      } catch (err) {
        if (statusOf(err) === 409) return 'exists';
        throw new Error(`cannot create Secret ${namespace}/${name}: ${(err as Error).message}`);
      }
    },
  };
}
