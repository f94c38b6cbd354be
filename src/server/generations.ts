// Model generations one after another, as the server builds them: the incremental model builder, the check that
// leaves out services and endpoints with an error, and the index redone only where something changed. It is the
// server's rebuild without its logging and metrics, so tests can hold a replica that lived through a history to the
// same output as one that starts at its end.
import { checkModel, createModelBuilder, reindexModel, servableModel } from '../model/index.ts';
import type { MeshModel, ModelCheck, Problem, SourceObject } from '../model/index.ts';
import type { ForwardingStrategy } from '../translate/index.ts';
import { buildContext } from './proxy-build.ts';
import type { BuildContext } from './proxy-build.ts';
import type { SharedResources } from './shared-resources.ts';
import { DEFAULT_SIZE_LIMITS } from './size-guard.ts';
import type { SizeLimits } from './size-guard.ts';
import type { ValidationClient } from '../validate/index.ts';

/** One generation: the served model's build context, the model as built, its problems and its check. */
export interface Generation {
  readonly ctx: BuildContext;
  /** The model before the check left anything out. */
  readonly built: MeshModel;
  /** Problems converting the objects. */
  readonly problems: readonly Problem[];
  readonly check: ModelCheck;
}

/** Builds each generation from the sources' objects, reusing what the previous generation already did. */
export class ModelGenerations {
  #builder = createModelBuilder();
  #ctx: BuildContext | undefined;
  #lastRejected: ReadonlySet<string> = new Set();

  constructor(
    readonly strategy: ForwardingStrategy,
    readonly shared: SharedResources,
    readonly limits: Readonly<Record<ValidationClient, SizeLimits>> = DEFAULT_SIZE_LIMITS,
    /** Where mesh-wide PeerAuthentications live (undefined: the translator's default, `istio-system`). */
    readonly rootNamespace?: string,
  ) {}

  /** The newest good generation's build context (undefined before the first). */
  get current(): BuildContext | undefined {
    return this.#ctx;
  }

  /** The next generation from `objects`, built on the previous one (a throw leaves `current` as it was). */
  next(objects: readonly SourceObject[]): Generation {
    const steps = this.#steps(objects);
    for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
  }

  /** `next`, yielding with `pause` between its stages (conversion, check, re-index, the translator's generation). */
  async nextYielding(objects: readonly SourceObject[], pause: () => Promise<void>): Promise<Generation> {
    const steps = this.#steps(objects);
    for (let step = steps.next(); ; step = steps.next()) {
      if (step.done) return step.value;
      await pause();
    }
  }

  /** The stages of one generation; each `yield` is a point where the caller may let other work run. */
  *#steps(objects: readonly SourceObject[]): Generator<void, Generation> {
    const { model: built, problems, changedServices } = this.#builder.update(objects);
    yield;
    // One validation for serve and analyze: services and endpoints with an error in it are not served.
    const check = checkModel(built);
    yield;
    const model = servableModel(built, check);
    const rejected = rejectedHosts(check);
    const changed = changedServices === 'all' ? 'all' : new Set([...changedServices, ...rejected, ...this.#lastRejected]);
    const ctx = buildContext(model, reindexModel(model, this.#ctx?.index, changed), this.strategy, this.shared, this.limits, this.rootNamespace);
    yield;
    // The translator's view of the generation (every service stamped), made here so no proxy's first build pays it.
    ctx.translations.generation(ctx.index, ctx.rootNamespace);
    this.#ctx = ctx;
    this.#lastRejected = rejected;
    return { ctx, built, problems, check };
  }

  /** After a failed rebuild: the next generation converts every object again (`current` stays the last good one). */
  startOver(): void {
    this.#builder = createModelBuilder();
  }
}

/** The hostnames whose services or endpoints `check` keeps out of the served model. */
function rejectedHosts(check: ModelCheck): Set<string> {
  return new Set([...[...check.rejectedServices].map((s) => s.hostname), ...[...check.rejectedEndpoints].map((e) => e.service)]);
}
