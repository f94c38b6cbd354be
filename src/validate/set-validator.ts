// The server's set validator: the very checks of `validateResources` (set-rules.ts), run through a Memo that
// remembers per array and per object identity, so the proxies of one view, which share arrays and objects, pay for
// each shared part once. Arrays and objects are trusted not to change after they were first seen (translator output
// is never mutated).
import { allProblems, setProblems } from './set-rules.ts';
import type { Memo, ResourceSet, ValidateOptions, ValidationProblem } from './problem.ts';

/**
 * Validates snapshots as `validateResources(resources, options)` does, remembering what does not depend on the rest
 * of the snapshot. One per (model generation, options): the options are fixed at creation.
 */
export class SetValidator {
  readonly #options: ValidateOptions;
  readonly #slots = new Map<string, WeakMap<object, unknown>>();
  readonly #memo: Memo = <V>(slot: string, key: object, make: () => V): V => {
    let map = this.#slots.get(slot);
    if (!map) this.#slots.set(slot, (map = new WeakMap()));
    if (map.has(key)) return map.get(key) as V;
    const value = make();
    map.set(key, value);
    return value;
  };

  constructor(options: ValidateOptions = {}) {
    this.#options = options;
  }

  /** Every problem of the snapshot, as `validateResources(resources, options)`. */
  validate(resources: ResourceSet): ValidationProblem[] {
    return allProblems(resources, this.#options, this.#memo);
  }

  /** The cross-resource problems, as `validateSet(resources, options)`. */
  validateSet(resources: ResourceSet): ValidationProblem[] {
    return setProblems(resources, this.#options, this.#memo);
  }
}
