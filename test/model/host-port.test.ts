// splitHostPort: the one reader of `host:port` / `[ipv6]:port` (gRPC authorities, xDS, CA, admin and webhook addresses).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitHostPort } from '../../src/model/index.ts';

test('reads host names, IPv4 and bracketed IPv6 with a port', () => {
  assert.deepEqual(splitHostPort('biplane.biplane-system.svc:15012'), { host: 'biplane.biplane-system.svc', port: 15012 });
  assert.deepEqual(splitHostPort('10.96.0.10:80'), { host: '10.96.0.10', port: 80 });
  assert.deepEqual(splitHostPort('[fd00:10:96::a]:443'), { host: 'fd00:10:96::a', port: 443 });
  assert.deepEqual(splitHostPort('[::]:65535'), { host: '::', port: 65535 });
});

test('refuses an unbracketed IPv6 literal, a bracketed non-IPv6 host, and ports out of range or badly written', () => {
  for (const bad of ['fd00::a:80', '[10.0.0.1]:80', '[name]:80', 'host', 'host:', ':80', 'host:0', 'host:65536', 'host:080', 'host:+80', '[::1]80', '[::1]:']) {
    assert.equal(splitHostPort(bad), undefined, bad);
  }
});

test('port 0 (any port) only for listen addresses', () => {
  assert.equal(splitHostPort('127.0.0.1:0'), undefined);
  assert.deepEqual(splitHostPort('127.0.0.1:0', { anyPort: true }), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(splitHostPort('[::1]:0', { anyPort: true }), { host: '::1', port: 0 });
});
