// The workload CA: what `biplane serve` runs and what tests and the agent import.
export { CertificateAuthority, CsrError, DEFAULT_CA_POLICY, createRoot, materialProblem } from './authority.ts';
export type { CaMaterial, CaPolicy } from './authority.ts';
export { CREATE_CERTIFICATE_PATH, certificateServiceDefinition } from './messages.ts';
export type { CertificateRequest, CertificateResponse } from './messages.ts';
export { certificateService } from './service.ts';
export type { CertificateServiceOptions, GrpcService } from './service.ts';
export { loadCa, parseTtl, publishRoot } from './setup.ts';
export { ROOT_CONFIGMAP, ROOT_CONFIGMAP_KEY, RootPublisher, namespacesOf } from './root-configmaps.ts';
export type { ConfigMapApi } from './root-configmaps.ts';
export type { CaSettings, CaStore } from './setup.ts';
export { CA_FILES, CA_SECRET_NAME, loadCaDir, loadCaSecret, loadUserCa } from './store.ts';
export type { SecretApi } from './store.ts';
