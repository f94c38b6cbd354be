// The offline pipeline's glue above the stages: load manifests into a model and find a pod's proxy (load.ts), and
// build one proxy's checked configuration (build.ts).
export { buildProxyConfig, clientOf, generatedProblem, typeName, validationProblem } from './build.ts';
export type { BuildOptions, ProxyConfig, ProxyResources } from './build.ts';
export { formatProblem, loadMesh, meshOf } from './load.ts';
export type { LoadedMesh } from './load.ts';
