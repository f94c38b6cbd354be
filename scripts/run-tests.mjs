// Builds dist/, then runs every test/**/*.test.ts with node:test (TypeScript through tsx). Arguments narrow the set:
// a folder or file.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function collect(target, out) {
  if (statSync(target).isDirectory()) {
    for (const entry of readdirSync(target).sort()) collect(path.join(target, entry), out);
  } else if (target.endsWith('.test.ts')) {
    out.push(target);
  }
  return out;
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : ['test']).flatMap((t) => collect(t, []));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
// Tests that spawn `bin/biplane.js` run the compiled CLI, so dist/ is brought up to date first (incremental).
const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  console.error('npm run build failed; not running tests');
  process.exit(build.status ?? 1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
