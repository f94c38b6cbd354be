// Public face of the validator: run it on every golden and before the server publishes a snapshot.
export { formatProblems, sortProblems, validateResource } from './validate.ts';
export { validateResources, validateSet } from './set-rules.ts';
export type { ResourceSet, ValidateOptions, ValidationClient } from './problem.ts';
export type { ResourceProblem } from '../envoy-api/problem.ts';
export { contentKey, stableJson, ValidationCache } from './validation-cache.ts';
export type { KeyOf } from './validation-cache.ts';
export { GRPC_SERVER_PREFIX } from './grpc.ts';
export { SetValidator } from './set-validator.ts';
