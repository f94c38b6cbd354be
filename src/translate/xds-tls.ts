// The sidecar's connection to biplane's TLS xDS port (15012): the `xds-grpc` cluster's TLS transport socket. ALPN
// `h2`; the server is verified by a root file Envoy reads and by its certificate's SAN (a DNS name, also sent as SNI,
// or an IP address); the client certificate is the pod's workload certificate (`default` over `sds-grpc` from the
// agent), so the sidecar authenticates to biplane with its own identity, as Istio's sidecars do.
import { parseAddress } from '../model/index.ts';
import { CERTIFICATE_SECRET, sdsSecret } from './mtls.ts';

/** How the sidecar checks biplane's TLS port: the root (a PEM file in the pod) and the name the certificate carries. */
export interface XdsTls {
  readonly rootFile: string;
  readonly serverName: string;
}

/** The name to check when none is given: the xDS host itself; `localhost` for a Unix socket (as gRPC clients do). */
export function defaultXdsServerName(xds: { readonly host: string } | { readonly pipe: string }): string {
  return 'pipe' in xds ? 'localhost' : xds.host;
}

/** The `xds-grpc` cluster's transport socket for `tls`. */
export function xdsTransportSocket(tls: XdsTls): object {
  const ip = parseAddress(tls.serverName);
  const san = ip ? { san_type: 'IP_ADDRESS', matcher: { exact: ip.ip } } : { san_type: 'DNS', matcher: { exact: tls.serverName } };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      ...(ip ? {} : { sni: tls.serverName }),
      common_tls_context: {
        alpn_protocols: ['h2'],
        tls_certificate_sds_secret_configs: [sdsSecret(CERTIFICATE_SECRET)],
        validation_context: { trusted_ca: { filename: tls.rootFile }, match_typed_subject_alt_names: [san] },
      },
    },
  };
}
