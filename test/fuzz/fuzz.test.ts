// `npm run fuzz` inside the suite: a small fixed-seed run of the fuzzer against an in-process server, and the rule
// that places problems, on its own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FuzzViolation, runFuzz, unplacedProblems } from '../../bench/fuzz.ts';
import { rng } from '../../bench/fuzz-mutate.ts';

describe('npm run fuzz', () => {
  it('holds every rule through 60 seeded steps of mutated manifests and hostile xDS requests', async () => {
    const steps: string[] = [];
    const summary = await runFuzz({ seed: 11, iterations: 60, seconds: 90, log: (l) => steps.push(l) }).catch((err: unknown) => {
      if (err instanceof FuzzViolation) assert.fail(`${err.message}\nsteps so far:\n${steps.join('\n')}`);
      throw err;
    });
    assert.equal(summary.stoppedBy, 'iterations');
    assert.equal(summary.steps, 60);
    assert.ok(summary.manifestSteps > 10 && summary.xdsSteps > 10, JSON.stringify(summary));
    assert.ok(summary.heals >= 12, JSON.stringify(summary));
  });

  it('replays the same steps for the same seed', () => {
    const a = rng(7);
    const b = rng(7);
    const c = rng(8);
    const first = Array.from({ length: 5 }, () => a());
    assert.deepEqual(Array.from({ length: 5 }, () => b()), first);
    assert.notDeepEqual(Array.from({ length: 5 }, () => c()), first);
  });

  it('flags a problem that names only the folder, or a file but no line', () => {
    const dir = '/tmp/f';
    const found = unplacedProblems([
      { severity: 'error', message: 'YAML aliases over budget', origin: { source: 'files', file: '/tmp/f' } },
      { severity: 'error', message: 'bad port', origin: { source: 'files', file: '/tmp/f/a.yaml' } },
      { severity: 'error', message: 'bad port', origin: { source: 'files', file: '/tmp/f/a.yaml', line: 3 } },
      { severity: 'error', message: 'cannot read /tmp/f/p.yaml: not a regular file (a FIFO)', origin: { source: 'files', file: '/tmp/f/p.yaml' } },
    ], dir);
    assert.equal(found.length, 2, found.join('\n'));
    assert.match(found[0] as string, /^no file in the folder/);
    assert.match(found[1] as string, /^no line: \/tmp\/f\/a.yaml/);
  });
});
