// The golden test runs every translation through the validator of src/translate/validate once it exists; until then
// the encode → decode round trip is the check. Loaded dynamically so this folder compiles either way.
import type { EnvoyResources } from '../../src/translate/types.ts';

type Validate = (r: EnvoyResources) => readonly unknown[];

/** Problems the validator finds in `r` (an empty list when the validator is not there yet). */
export async function validateIfAvailable(r: EnvoyResources): Promise<readonly unknown[]> {
  const url = new URL('../../src/translate/validate/index.ts', import.meta.url);
  let mod: { validateResources?: Validate };
  try {
    mod = (await import(url.href)) as { validateResources?: Validate };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return [];
    throw err;
  }
  return mod.validateResources ? mod.validateResources(r) : [];
}
