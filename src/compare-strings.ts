// The one string order biplane sorts by. It imports nothing, so every folder may import it, the xDS library included.

/** Orders strings by UTF-16 code unit, so sorted output never depends on the locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
