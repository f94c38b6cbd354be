// TPROXY interception on the translation side: transparent capture listeners with each address's own socket option,
// and inbound upstream connections that keep the client's address (original_src) instead of 127.0.0.6 / ::6.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Proxy } from '../../src/model/types.ts';
import { translate, TranslationCache } from '../../src/translate/index.ts';
import { simulate } from '../../src/translate/simulate.ts';
import type { EnvoyResources, Listener } from '../../src/translate/types.ts';
import { validateResources } from '../../src/validate/index.ts';
import { indexModel } from '../../src/model/index.ts';
import { clients, proxyFor } from './fixtures.ts';
import { mesh, webPod } from './mesh.ts';

const tproxy = (p: Proxy): Proxy => ({ ...p, interception: 'TPROXY' });
const listener = (r: EnvoyResources, name: string): Listener => {
  const l = r.listeners.find((x) => x.name === name);
  assert.ok(l, name);
  return l;
};
/** [address, socket option names] of the main address then each additional address. */
const options = (l: Listener): [string, string[]][] => [
  [l.address.socket_address.address, (l.socket_options ?? []).map((o) => `${o.level}/${o.name}`)],
  ...(l.additional_addresses ?? []).map((a): [string, string[]] => [a.address.socket_address.address, (a.socket_options?.socket_options ?? []).map((o) => `${o.level}/${o.name}`)]),
];

test('under TPROXY both capture listeners are transparent, each address with its own family’s option set before bind', () => {
  const cases: [typeof clients.v4, [string, string[]][]][] = [
    [clients.dual4, [['0.0.0.0', ['0/19']], ['::', ['41/75']]]],
    [clients.dual6, [['::', ['41/75']], ['0.0.0.0', ['0/19']]]],
    [clients.v4, [['0.0.0.0', ['0/19']]]],
    [clients.v6, [['::', ['41/75']]]],
  ];
  for (const [client, expected] of cases) {
    const r = translate(mesh(), tproxy(proxyFor(client)));
    for (const name of ['virtualOutbound', 'virtualInbound']) {
      const l = listener(r, name);
      assert.deepEqual(l.transparent, { value: true }, name);
      assert.deepEqual(options(l), expected, `${client.name} ${name}`);
      const all = [...(l.socket_options ?? []), ...(l.additional_addresses ?? []).flatMap((a) => a.socket_options?.socket_options ?? [])];
      assert.ok(all.every((o) => o.state === 'STATE_PREBIND' && o.int_value === 1));
    }
    assert.deepEqual(validateResources(r), []);
  }
});

test('REDIRECT (the default) sets no transparency anywhere', () => {
  const r = translate(mesh(), proxyFor(clients.dual4));
  assert.ok(r.listeners.every((l) => l.transparent === undefined && l.socket_options === undefined));
  assert.ok(r.listeners.every((l) => (l.additional_addresses ?? []).every((a) => a.socket_options === undefined)));
});

test('under TPROXY inbound keeps the client’s address: original_src after original_dst, marked 1337, no passthrough bind', () => {
  const r = translate(mesh(), tproxy(proxyFor(webPod)));
  const filters = listener(r, 'virtualInbound').listener_filters ?? [];
  assert.deepEqual(filters.map((f) => f.name), ['envoy.filters.listener.original_dst', 'envoy.filters.listener.original_src']);
  assert.equal(filters[1]?.typed_config['mark'], 1337);
  assert.equal(listener(r, 'virtualOutbound').listener_filters, undefined, 'outbound keeps no client address');
  for (const name of ['inbound|8080||', 'InboundPassthroughCluster']) {
    assert.equal(r.clusters.find((c) => c.name === name)?.upstream_bind_config, undefined, name);
  }
  for (const [client, dst] of [['198.18.0.9', '10.244.2.1'], ['2001:db8::9', 'fd00:10:244:2::1']] as const) {
    for (const port of [8080, 9999]) {
      const s = simulate(r, { direction: 'inbound', destination: dst, port, source: client });
      assert.equal(s.sourceAddress, client, `${dst}:${port}`);
    }
  }
  const redirect = translate(mesh(), proxyFor(webPod));
  assert.equal(simulate(redirect, { direction: 'inbound', destination: '10.244.2.1', port: 8080, source: '198.18.0.9' }).sourceAddress, '127.0.0.6');
});

test('a cache shared by REDIRECT and TPROXY proxies of one view answers each with its own capture listeners', () => {
  const index = indexModel(mesh());
  const cache = new TranslationCache();
  for (const p of [proxyFor(clients.dual4), tproxy(proxyFor(clients.dual4)), proxyFor(webPod), tproxy(proxyFor(webPod))]) {
    assert.deepEqual(translate(index, p, { cache }), translate(index, p), `${p.id} ${p.interception}`);
  }
});
