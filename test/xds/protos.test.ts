import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypeUrl, decodeMessage, encodeMessage, messageType } from '../../src/envoy-api/protos.ts';

test('every served type URL names a message in the loaded Envoy API', () => {
  for (const url of Object.values(TypeUrl)) {
    assert.equal(`type.googleapis.com/${messageType(url).fullName.slice(1)}`, url);
  }
});

test('a listener with an additional address and a packed filter round-trips through the encoder', () => {
  const listener = {
    name: '10.96.0.10_80',
    address: { socket_address: { address: '10.96.0.10', port_value: 80 } },
    additional_addresses: [{ address: { socket_address: { address: 'fd00:10:96::a', port_value: 80 } } }],
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
              stat_prefix: 'outbound',
              cluster: 'outbound|80||a.default.svc.cluster.local',
            },
          },
        ],
      },
    ],
  };
  const bytes = encodeMessage(TypeUrl.Listener, listener);
  assert.deepEqual(decodeMessage(TypeUrl.Listener, bytes), listener);
});
