// The size rule of style.md and issue 12, held from now on: no function in src/ over 60 lines, no file over 400,
// checked with scripts/long-code.ts (the TypeScript compiler's parser).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { longCode, type LongCode } from '../../scripts/long-code.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Over-long functions allowed for now, each up to the length listed and no longer: none, and keep it so. */
const KNOWN_LONG: readonly LongCode[] = [];

/** Whether `found` is one of the known ones above, no longer than listed. */
function known(found: LongCode): boolean {
  return KNOWN_LONG.some((k) => k.file === found.file && k.name === found.name && found.lines <= k.lines);
}

/** A function `name` whose text spans exactly `lines` lines. */
function functionOf(name: string, lines: number): string {
  const body = Array.from({ length: lines - 2 }, (_, i) => `  const v${i} = ${i};`);
  return [`export function ${name}(): void {`, ...body, '}', ''].join('\n');
}

test('no function in src/ is over 60 lines and no file over 400, beyond the explicit known list', () => {
  const found = longCode(path.join(ROOT, 'tsconfig.json'), ['src']);
  const offenders = found.filter((f) => !known(f)).map((f) => `${f.file} ${f.name}: ${f.lines} lines`);
  assert.deepEqual(offenders, []);
});

test('the checker lists a 61-line function, a method by its class and a 401-line file, and passes 60 lines', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'long-code-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'src'));
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, types: [] }, include: ['src'] }));
  writeFileSync(path.join(dir, 'src', 'a.ts'), functionOf('longest', 61) + functionOf('fits', 60));
  const method = functionOf('inner', 62).replace('export function inner(): void', 'run(): void');
  writeFileSync(path.join(dir, 'src', 'b.ts'), `export class Runner {\n${method}}\nexport const arrow = (): void => {\n${'  void 0;\n'.repeat(70)}};\n`);
  writeFileSync(path.join(dir, 'src', 'big.ts'), 'export const x = 1;\n'.repeat(401));
  writeFileSync(path.join(dir, 'src', 'ok.ts'), 'export const y = 1;\n'.repeat(400));
  assert.deepEqual(longCode(path.join(dir, 'tsconfig.json'), ['src']), [
    { file: 'src/a.ts', name: 'longest', lines: 61 },
    { file: 'src/b.ts', name: 'Runner.run', lines: 62 },
    { file: 'src/b.ts', name: 'arrow', lines: 72 },
    { file: 'src/big.ts', name: '<file>', lines: 401 },
  ]);
});
