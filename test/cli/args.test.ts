// commandFlags: the one flag reader of the commands — values through, --help prints the usage (0), a bad flag prints
// the reason and the usage (2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandFlags } from '../../src/cli/args.ts';

const OPTIONS = { manifests: { type: 'string' }, quiet: { type: 'boolean', default: false } } as const;

test('flags come back as values, with defaults and without help', () => {
  const values = commandFlags('demo', 'usage: demo', ['--manifests', 'dir'], OPTIONS);
  assert.notEqual(typeof values, 'number');
  if (typeof values === 'number') return;
  assert.equal(values.manifests, 'dir');
  assert.equal(values.quiet, false);
  assert.equal(values.help, false);
});

test('--help prints the usage on stdout and means exit 0', (t) => {
  const log = t.mock.method(console, 'log', () => undefined);
  assert.equal(commandFlags('demo', 'usage: demo', ['--help'], OPTIONS), 0);
  assert.deepEqual(log.mock.calls.map((c) => c.arguments[0]), ['usage: demo']);
});

test('an unknown or malformed flag prints the command, the reason and the usage on stderr and means exit 2', (t) => {
  const error = t.mock.method(console, 'error', () => undefined);
  assert.equal(commandFlags('demo', 'usage: demo', ['--bogus'], OPTIONS), 2);
  assert.equal(commandFlags('demo', 'usage: demo', ['--manifests'], OPTIONS), 2);
  const lines = error.mock.calls.map((c) => String(c.arguments[0]));
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^biplane demo: .*--bogus.*\n\nusage: demo$/s);
  assert.match(lines[1]!, /^biplane demo: .*--manifests.*\n\nusage: demo$/s);
});
