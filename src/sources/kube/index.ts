// The live Kubernetes source: list/watch over @kubernetes/client-node into the shared ObjectStore.
export { KubeConfig } from './client.ts';
export { KubeSource, type KubeSourceOptions } from './kube-source.ts';
export { loadKubeConfig, type KubeConfigChoice } from './kubeconfig.ts';
export { KUBE_RESOURCES, collectionPath, type KubeResource } from './resources.ts';
export { DEFAULT_KUBE_TIMING, backoffDelay, type KubeTiming } from './timing.ts';
export { kubeTokenReviewer, type TokenReviewAnswer } from './token-review.ts';
