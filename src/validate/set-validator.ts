// The server's set validator: the very checks of `validateResources` (set-rules.ts), run through a Memo that
// remembers per array and per object identity, so the proxies of one view, which share arrays and objects, pay for
// each shared part once. Arrays and objects are trusted not to change after they were first seen (translator output
// is never mutated).
import { allProblems, setProblems } from './set-rules.ts';
import type { ResourceProblem } from '../envoy-api/problem.ts';
import type { Memo, Remember, ResourceSet, ValidateOptions } from './problem.ts';

function remembering<K extends object, V>(): Remember<K, V> {
  const map = new WeakMap<K, V>();
  return (key, make) => {
    const hit = map.get(key);
    if (hit !== undefined || map.has(key)) return hit as V;
    const value = make(key);
    map.set(key, value);
    return value;
  };
}

/**
 * Validates snapshots as `validateResources(resources, options)` does, remembering what does not depend on the rest
 * of the snapshot. One per (model generation, options): the options are fixed at creation.
 */
export class SetValidator {
  readonly #options: ValidateOptions;
  readonly #slots = new Map<string, Remember<object, unknown>>();
  readonly #memo: Memo = {
    slot: <K extends object, V>(name: string): Remember<K, V> => {
      let slot = this.#slots.get(name);
      if (!slot) this.#slots.set(name, (slot = remembering()));
      return slot as unknown as Remember<K, V>;
    },
  };

  constructor(options: ValidateOptions = {}) {
    this.#options = options;
  }

  /** Every problem of the snapshot, as `validateResources(resources, options)`. */
  validate(resources: ResourceSet): ResourceProblem[] {
    return allProblems(resources, this.#options, this.#memo);
  }

  /** The cross-resource problems, as `validateSet(resources, options)`. */
  validateSet(resources: ResourceSet): ResourceProblem[] {
    return setProblems(resources, this.#options, this.#memo);
  }
}
