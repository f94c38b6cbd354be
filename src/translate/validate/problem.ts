// The validator's vocabulary: what a problem looks like, what it reads, and how checks report into a list.

/** One reason a resource would be NACKed (or misbehave): which resource, where inside it, which rule, why. */
export interface ValidationProblem {
  readonly typeUrl: string;
  /** The resource's name (`cluster_name` for a ClusterLoadAssignment); '' when it has none. */
  readonly resource: string;
  /** Dotted field path inside the resource, e.g. `filter_chains[0].filters[1].typed_config.http_filters[0]`. */
  readonly path: string;
  /** A short stable id such as `pgv.string.min_len` or `listener.unique_address`, for tests and metrics. */
  readonly rule: string;
  readonly message: string;
}

/** The resources of one snapshot as plain objects; any translator output with these four arrays is assignable. */
export interface ResourceSet {
  readonly listeners: readonly object[];
  readonly clusters: readonly object[];
  readonly routes: readonly object[];
  readonly endpoints: readonly object[];
}

/** Which xDS client will consume the resources: Envoy, or proxyless gRPC (stricter, gRFC A27/A36/A61). */
export type ValidationClient = 'envoy' | 'grpc';

/** Knobs of `validateResources`. */
export interface ValidateOptions {
  readonly client?: ValidationClient;
}

/** How a check reports a problem inside the resource it is looking at. */
export type Report = (path: string, rule: string, message: string) => void;

/** `base.field`, or `field` at the root. */
export function fieldPath(base: string, field: string): string {
  return base === '' ? field : `${base}.${field}`;
}

/** `base[index]`. */
export function indexPath(base: string, index: number): string {
  return `${base}[${index}]`;
}

/** `base["key"]`, for map entries. */
export function keyPath(base: string, key: string): string {
  return `${base}[${JSON.stringify(key)}]`;
}
