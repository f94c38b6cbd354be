// Public face of the validator: run it on every golden and before the server publishes a snapshot.
export { formatProblems, validateResource, validateResources } from './validate.ts';
export type { ResourceSet, ValidateOptions, ValidationClient, ValidationProblem } from './problem.ts';
export { GRPC_SERVER_PREFIX } from './grpc.ts';
