// The package's main entry (`biplane`): the offline pipeline — manifests to model, model to Envoy resources, and the
// validator that checks them — with no server and no Kubernetes client.
export * from './model/index.ts';
export * from './translate/index.ts';
export * from './validate/index.ts';
export { loadManifests, parseManifests } from './sources/files/index.ts';
export type { ManifestLoad, ParsedDocument, ParsedFile } from './sources/files/index.ts';
export * from './pipeline/index.ts';
