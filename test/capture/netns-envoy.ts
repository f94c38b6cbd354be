// A real Envoy as the TPROXY sidecar of a test "pod" namespace: transparent listeners on 15006 (one per family) with
// the original_dst and original_src listener filters and a tcp_proxy to an ORIGINAL_DST cluster — Istio's inbound
// path in TPROXY mode, reduced to L4. It runs with the proxy gid, so its own upstream connections are not captured
// again, and as root, which IP_TRANSPARENT / IPV6_TRANSPARENT and SO_MARK need (test/support/envoy.ts runs it).
function transparentListener(name: string, address: string, mark: number): object {
  const filter = (n: string, type: string, extra: object = {}): object => ({
    name: `envoy.filters.listener.${n}`,
    typed_config: { '@type': `type.googleapis.com/envoy.extensions.filters.listener.${n}.v3.${type}`, ...extra },
  });
  const tcpProxy = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    stat_prefix: name,
    cluster: 'original_dst',
  };
  return {
    name,
    address: { socket_address: { address, port_value: 15006 } },
    transparent: true,
    listener_filters: [filter('original_dst', 'OriginalDst'), filter('original_src', 'OriginalSrc', { mark })],
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: tcpProxy }] }],
  };
}

/** The bootstrap: `inbound4` on 0.0.0.0:15006 and `inbound6` on [::]:15006, upstreams marked with `mark`. */
export function tproxyBootstrap(mark: number): object {
  return {
    static_resources: {
      listeners: [transparentListener('inbound4', '0.0.0.0', mark), transparentListener('inbound6', '::', mark)],
      clusters: [{ name: 'original_dst', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: '2s' }],
    },
  };
}
