// `biplane --help` loads no command module, so its summaries live in the command table; they must match the modules'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli/main.ts';

test('every command table summary equals the summary its module declares', async () => {
  const names = Object.keys(COMMANDS);
  assert.ok(names.length >= 5, `commands: ${names.join(', ')}`);
  for (const name of names) {
    const entry = COMMANDS[name];
    assert.ok(entry);
    const { command } = await entry.load();
    assert.equal(entry.summary, command.summary, `summary of ${name}`);
  }
});
