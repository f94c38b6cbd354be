// The soak's accounting: holdings built from raw (Delta)DiscoveryResponse bytes, and the comparison that counts a
// stream as having lost an update.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyResponse, divergence, parseDelta, parseSotw, summarize } from '../../bench/soak-state.ts';
import type { Holdings } from '../../bench/soak-state.ts';
import { TypeUrl, encodeMessage } from '../../src/envoy-api/protos.ts';

const cluster = (name: string, ms: number): object => ({ '@type': TypeUrl.Cluster, name, connect_timeout: { seconds: ms } });
const cla = (name: string, port: number): object => ({
  '@type': TypeUrl.ClusterLoadAssignment, cluster_name: name,
  endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '198.18.0.1', port_value: port } } } }] }],
});

function sotw(typeUrl: string, resources: object[], nonce: string): Buffer {
  const body = encodeMessage('envoy.service.discovery.v3.DiscoveryResponse', { type_url: typeUrl, version_info: 'v', nonce: '', resources });
  // The server appends each stream's nonce after the shared body: the last occurrence is the one that counts.
  const tail = encodeMessage('envoy.service.discovery.v3.DiscoveryResponse', { nonce });
  return Buffer.concat([body, tail]);
}

function delta(typeUrl: string, resources: object[], removed: string[]): Buffer {
  const wrapped = resources.map((r) => ({ name: (r as { name?: string; cluster_name?: string }).name ?? (r as { cluster_name: string }).cluster_name, version: 'x', resource: r }));
  return Buffer.from(encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryResponse', { type_url: typeUrl, nonce: 'n1', resources: wrapped, removed_resources: removed }));
}

describe('soak accounting', () => {
  it('reads names, the appended nonce and content hashes from a SotW response', () => {
    const r = parseSotw(sotw(TypeUrl.Cluster, [cluster('a', 1), cluster('b', 1)], 'nonce-7'));
    assert.equal(r.typeUrl, TypeUrl.Cluster);
    assert.equal(r.nonce, 'nonce-7');
    assert.deepEqual([...r.resources.keys()], ['a', 'b']);
    assert.notEqual(parseSotw(sotw(TypeUrl.Cluster, [cluster('a', 2)], 'n')).resources.get('a'), r.resources.get('a'));
  });

  it('replaces CDS in SotW but merges EDS, and a delta stream removes what it is told', () => {
    const held: Holdings = new Map();
    applyResponse(held, 'sotw', parseSotw(sotw(TypeUrl.Cluster, [cluster('a', 1), cluster('b', 1)], 'n')));
    applyResponse(held, 'sotw', parseSotw(sotw(TypeUrl.Cluster, [cluster('a', 1)], 'n')));
    applyResponse(held, 'sotw', parseSotw(sotw(TypeUrl.ClusterLoadAssignment, [cla('a', 1), cla('b', 1)], 'n')));
    applyResponse(held, 'sotw', parseSotw(sotw(TypeUrl.ClusterLoadAssignment, [cla('a', 2)], 'n')));
    assert.deepEqual([...(held.get(TypeUrl.Cluster) ?? new Map()).keys()], ['a']);
    assert.deepEqual([...(held.get(TypeUrl.ClusterLoadAssignment) ?? new Map()).keys()].sort(), ['a', 'b']);
    const d: Holdings = new Map();
    applyResponse(d, 'delta', parseDelta(delta(TypeUrl.Cluster, [cluster('a', 1), cluster('b', 1)], [])));
    applyResponse(d, 'delta', parseDelta(delta(TypeUrl.Cluster, [], ['b'])));
    assert.deepEqual([...(d.get(TypeUrl.Cluster) ?? new Map()).keys()], ['a']);
  });

  it('counts a stale, a missing and a not withdrawn resource as divergence, and equal holdings as none', () => {
    const expected: Holdings = new Map();
    applyResponse(expected, 'delta', parseDelta(delta(TypeUrl.Cluster, [cluster('a', 2), cluster('c', 1)], [])));
    const held: Holdings = new Map();
    applyResponse(held, 'delta', parseDelta(delta(TypeUrl.Cluster, [cluster('a', 1), cluster('b', 1)], [])));
    assert.deepEqual(divergence(held, expected, 'delta').sort(), ['Cluster a: stale', 'Cluster b: not withdrawn', 'Cluster c: missing']);
    assert.deepEqual(divergence(expected, expected, 'delta'), []);
  });

  it('lets a SotW stream keep EDS resources the expected state no longer has, but not clusters', () => {
    const expected: Holdings = new Map([[TypeUrl.ClusterLoadAssignment, new Map([['a', 'h1']])], [TypeUrl.Cluster, new Map([['a', 'h2']])]]);
    const held: Holdings = new Map([[TypeUrl.ClusterLoadAssignment, new Map([['a', 'h1'], ['old', 'h3']])], [TypeUrl.Cluster, new Map([['a', 'h2'], ['old', 'h4']])]]);
    assert.deepEqual(divergence(held, expected, 'sotw'), ['Cluster old: not withdrawn']);
    assert.equal(divergence(held, expected, 'delta').length, 2);
  });

  it('summarizes resync times by count, max and median', () => {
    assert.deepEqual(summarize([300, 100, 200]), { count: 3, max: 300, median: 200 });
    assert.deepEqual(summarize([]), { count: 0, max: 0, median: 0 });
  });
});
