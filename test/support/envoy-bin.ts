// Where tests find a real Envoy. One small lookup, to be replaced by the shared helper test/support/envoy.ts.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

const VENV_ENVOY = '.venv-envoy/lib/python3.11/site-packages/envoy/_bin/envoy';

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Envoy binary: `$ENVOY_BIN`, else the project-local venv's; `skip` says why not when there is none. */
export function findEnvoy(): { readonly bin: string } | { readonly skip: string } {
  const fromEnv = process.env['ENVOY_BIN'];
  if (fromEnv) return executable(fromEnv) ? { bin: fromEnv } : { skip: `ENVOY_BIN=${fromEnv} is not an executable file` };
  const local = path.join(import.meta.dirname, '../..', VENV_ENVOY);
  return executable(local) ? { bin: local } : { skip: `no Envoy: set ENVOY_BIN or install it at ${VENV_ENVOY}` };
}
