// The model stage's public entry: the types, address helpers, and the pure functions that check source objects,
// build the mesh model from them, read connecting proxies, index and validate the model.
export type * from './types.ts';
export * from './address.ts';
export { checkObject, hasErrors } from './check.ts';
export type { CheckResult } from './check.ts';
export { buildModel, kubeClusterFamilies } from './build.ts';
export type { BuildResult } from './build.ts';
export { createModelBuilder } from './builder.ts';
export type { ModelBuilder, ModelUpdate } from './builder.ts';
export { claimedWorkload, parseProxy } from './proxy.ts';
export type { ProxyNode, ProxyResult } from './proxy.ts';
export { indexModel, nameKey, reindexModel, servicePortKey, targetPortOf } from './model-index.ts';
export type { ModelIndex, PortEndpoint, ServiceVip } from './model-index.ts';
export { checkModel, servableModel, validate } from './validate.ts';
export type { ModelCheck } from './validate.ts';
export { addressBits, isHostPrefix, parsePrefix, prefixContains } from './cidr.ts';
export type { Prefix } from './cidr.ts';
export { IPV4_POOL, IPV6_POOL, allocateVips, parseAutoAllocate } from './vip-alloc.ts';
export type { VipClaim, VipPool } from './vip-alloc.ts';
export { portProtocol } from './ports.ts';
export {
  AUTO_ALLOCATE_ANNOTATION,
  CLUSTER_DOMAIN,
  FORWARDING_ANNOTATION,
  REGION_LABEL,
  SERVICE_NAME_LABEL,
  ZONE_LABEL,
  serviceHostname,
} from './names.ts';
export { DEFAULT_ROOT_NAMESPACE, MTLS_MODES, inboundMtls, portMtls } from './peer-auth.ts';
export type { InboundMtls } from './peer-auth.ts';
export { INJECT_ANNOTATION, INTERCEPTION_ANNOTATION, TEMPLATES_ANNOTATION, podProxyNode, podProxyType } from './pod-proxy.ts';
