import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateResources } from '../../src/validate/index.ts';
import { dualStack, put, summary } from './fixtures.ts';

const V4 = { description: 'IP_TRANSPARENT', level: 0, name: 19, int_value: 1, state: 'STATE_PREBIND' };
const V6 = { description: 'IPV6_TRANSPARENT', level: 41, name: 75, int_value: 1, state: 'STATE_PREBIND' };

test('each address with the transparent option of its own family is accepted', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'transparent', { value: true });
  put(set.listeners[2]!, 'socket_options', [V4]);
  put(set.listeners[2]!, 'additional_addresses[0].socket_options', { socket_options: [V6] });
  assert.deepEqual(summary(validateResources(set)), []);
});

test('an IPv6-level option on an IPv4 main address is rejected', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'socket_options', [V6]);
  put(set.listeners[2]!, 'additional_addresses[0].socket_options', { socket_options: [V6] });
  const problems = validateResources(set);
  assert.deepEqual(summary(problems), ['listener.socket_option_family virtualInbound socket_options[0]']);
  assert.match(problems[0]!.message, /refuses the listener/);
});

test('an IPv4 additional address inherits the listener’s options unless it overrides them', () => {
  const set = dualStack();
  put(set.listeners[2]!, 'address.socket_address.address', '::');
  put(set.listeners[2]!, 'additional_addresses[0].address.socket_address.address', '0.0.0.0');
  put(set.listeners[2]!, 'socket_options', [V6]);
  assert.deepEqual(summary(validateResources(set)), ['listener.socket_option_family virtualInbound socket_options[0]']);
  put(set.listeners[2]!, 'additional_addresses[0].socket_options', { socket_options: [V4, V6] });
  assert.deepEqual(summary(validateResources(set)), ['listener.socket_option_family virtualInbound additional_addresses[0].socket_options.socket_options[1]']);
  put(set.listeners[2]!, 'additional_addresses[0].socket_options', { socket_options: [] });
  assert.deepEqual(summary(validateResources(set)), [], 'an empty override clears the listener’s options');
});
