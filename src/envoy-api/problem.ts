// What is wrong in a generated xDS resource, one shape for whoever finds it: the validator's rules and the xDS layer's
// snapshot consistency check both report these.

/** One reason a resource would be NACKed (or misbehave): which resource, where inside it, which rule, why. */
export interface ResourceProblem {
  readonly typeUrl: string;
  /** The resource's name (`cluster_name` for a ClusterLoadAssignment); '' when it has none. */
  readonly resource: string;
  /** Dotted field path inside the resource, e.g. `filter_chains[0].filters[1].typed_config.http_filters[0]`; '' for the whole. */
  readonly path: string;
  /** A short stable id such as `pgv.string.min_len` or `reference.route_config`, for tests and metrics. */
  readonly rule: string;
  readonly message: string;
}
