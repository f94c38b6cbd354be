// A map whose values are held weakly: an entry lives exactly as long as something else still uses its value, so
// interning tables (encoded resources, snapshot types, subscribed name sets) never keep what nobody holds.

/** A map of weakly held values that forgets a key once its value is collected. */
export class WeakValues<V extends object> {
  readonly #map = new Map<string, WeakRef<V>>();
  readonly #registry = new FinalizationRegistry<string>((key) => {
    const ref = this.#map.get(key);
    if (ref && ref.deref() === undefined) this.#map.delete(key);
  });

  /** The live value under `key`, if any. */
  get(key: string): V | undefined {
    return this.#map.get(key)?.deref();
  }

  /** Holds `value` weakly under `key` and returns it. */
  set(key: string, value: V): V {
    this.#map.set(key, new WeakRef(value));
    this.#registry.register(value, key);
    return value;
  }

  /** How many keys are held (collected values may still count until their finalizer ran). */
  get size(): number {
    return this.#map.size;
  }
}
