// Where the cluster connection comes from: a kubeconfig file, the pod's service account, or the usual defaults.
import { KubeConfig } from './client.ts';

/** The ways `biplane serve` can be told how to reach the cluster. */
export interface KubeConfigChoice {
  /** A kubeconfig file; its current context is used. */
  readonly kubeconfig?: string;
  /** The in-cluster service account (token and CA under /var/run/secrets/kubernetes.io/serviceaccount). */
  readonly inCluster?: boolean;
}

/**
 * Loads a KubeConfig: the named file, else in-cluster, else the defaults ($KUBECONFIG, ~/.kube/config, in-cluster).
 * Throws an error naming the file (or the missing setting) when there is no usable current cluster.
 */
export function loadKubeConfig(choice: KubeConfigChoice = {}): KubeConfig {
  const kc = new KubeConfig();
  const where = choice.kubeconfig
    ? `kubeconfig ${choice.kubeconfig}`
    : choice.inCluster
      ? 'in-cluster config'
      : `default kubeconfig (${process.env['KUBECONFIG'] ? `KUBECONFIG=${process.env['KUBECONFIG']}` : '~/.kube/config'})`;
  try {
    if (choice.kubeconfig) kc.loadFromFile(choice.kubeconfig);
    else if (choice.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster?.server) throw new Error(`${where}: no current cluster with a server address`);
  return kc;
}
