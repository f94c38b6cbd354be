// The Kubernetes rules that turn raw source objects into the mesh model (spec §1). Pure: same objects, same model.
import { createModelBuilder } from './builder.ts';
import type { BuildResult } from './builder.ts';
import type { SourceObject } from './types.ts';

export type { BuildResult } from './builder.ts';
export { kubeClusterFamilies } from './cluster-families.ts';

/**
 * Builds the mesh model from source objects in any order. Objects with schema errors are skipped (their errors are
 * returned); schema warnings are the source's to report, so only problems about how objects relate are added here.
 * One-shot: a fresh ModelBuilder's first update (keep a builder to rebuild after changes cheaply).
 */
export function buildModel(objects: readonly SourceObject[]): BuildResult {
  const { model, problems } = createModelBuilder().update(objects);
  return { model, problems };
}
