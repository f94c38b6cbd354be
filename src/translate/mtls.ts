// Mutual TLS between sidecars, as Istio does it. Outbound (auto-mTLS): a mesh-internal EDS cluster carries two
// transport socket matches, TLS for endpoints whose pod has a sidecar (endpoint metadata `tlsMode: istio`, from the pod
// label `security.istio.io/tlsMode`) and plaintext for the rest, so each endpoint gets what it can speak. The match is
// per endpoint, and a pod is one endpoint with its other family in `additional_addresses`, so whichever address Happy
// Eyeballs connects to, the TLS context is the same. Inbound: per PeerAuthentication mode, virtualInbound's chain for
// a port requires mTLS (STRICT), offers it beside plaintext (PERMISSIVE) or is plaintext only (DISABLE). Certificates
// come over SDS from the pod's agent (`sds-grpc`, a static bootstrap cluster on a Unix socket): `default` (the pod's
// certificate and key) and `ROOTCA` (the trust root).
import { inboundMtls, portMtls, type InboundMtls } from '../model/index.ts';
import type { Endpoint, PeerAuthentication } from '../model/index.ts';
import type { FilterChain, Metadata, NamedFilter, Struct, TransportSocket, TransportSocketMatch } from './envoy-types.ts';

/** The bootstrap's static cluster that reaches the agent's SDS server. */
export const SDS_CLUSTER = 'sds-grpc';
/** SDS name of the workload's certificate chain and key (Istio's name). */
export const CERTIFICATE_SECRET = 'default';
/** SDS name of the trust root peers are verified against (Istio's name). */
export const ROOT_SECRET = 'ROOTCA';
/** The pod label (set by injection) saying the pod runs a sidecar that speaks Istio mTLS. */
export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
/** Endpoint metadata filter name that transport socket matches read. */
export const TRANSPORT_SOCKET_MATCH = 'envoy.transport_socket_match';
/** ALPN a sidecar client offers, so a server sidecar knows the TLS is mesh mTLS and not the app's own. */
export const ISTIO_ALPN: readonly string[] = ['istio-peer-exchange', 'istio'];
/** Every ALPN value Istio's sidecars offer for mesh mTLS; an inbound mTLS chain matches any of them. */
export const INBOUND_MTLS_ALPN: readonly string[] = ['istio-peer-exchange', 'istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'];

const TLS_SOCKET = 'envoy.transport_sockets.tls';
const TLS_TYPES = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3';

/** An SDS secret fetched from the agent over `sds-grpc`. */
export function sdsSecret(name: string): object {
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: SDS_CLUSTER } }],
        set_node_on_first_message_only: true,
      },
      resource_api_version: 'V3',
    },
  };
}

/** The certificate, its key and the root, all over SDS; peers verified against `ROOTCA`. */
function commonTlsContext(alpn: readonly string[] | undefined): object {
  return {
    tls_certificate_sds_secret_configs: [sdsSecret(CERTIFICATE_SECRET)],
    combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: sdsSecret(ROOT_SECRET) },
    ...(alpn ? { alpn_protocols: alpn } : {}),
  };
}

/** Istio's SNI for a service port: `outbound_.<port>_._.<host>` (empty subset), the same for both families. */
export function outboundSni(port: number, hostname: string): string {
  return `outbound_.${port}_._.${hostname}`;
}

/** The client side of mesh mTLS towards one service port. */
export function upstreamMtls(port: number, hostname: string): TransportSocket {
  return {
    name: TLS_SOCKET,
    typed_config: { '@type': `${TLS_TYPES}.UpstreamTlsContext`, common_tls_context: commonTlsContext(ISTIO_ALPN), sni: outboundSni(port, hostname) },
  };
}

/** The server side of mesh mTLS: the client must present a certificate the root signed. */
export function downstreamMtls(): TransportSocket {
  return {
    name: TLS_SOCKET,
    typed_config: { '@type': `${TLS_TYPES}.DownstreamTlsContext`, common_tls_context: commonTlsContext(undefined), require_client_certificate: { value: true } },
  };
}

/** A `google.protobuf.Struct` of strings in the plain-object form the encoder takes (`fields` of `Value`s, camelCase as protobufjs' own struct.proto spells them). */
export function stringStruct(values: Readonly<Record<string, string>>): Struct {
  return { fields: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { stringValue: v }])) };
}

/**
 * Auto-mTLS: endpoints marked `tlsMode: istio` get mTLS; every other endpoint matches nothing and so gets the
 * cluster's own transport socket, which is none: plaintext.
 */
export function autoMtlsMatches(port: number, hostname: string): TransportSocketMatch[] {
  return [{ name: 'tlsMode-istio', match: stringStruct({ tlsMode: 'istio' }), transport_socket: upstreamMtls(port, hostname) }];
}

/** Whether an endpoint's pod runs a sidecar that speaks mesh mTLS. */
export function hasSidecar(endpoint: Pick<Endpoint, 'labels'>): boolean {
  return endpoint.labels[TLS_MODE_LABEL] === 'istio';
}

/** Whether an endpoint's sidecar takes mTLS on a port: false where its own PeerAuthentication says DISABLE. */
export type MtlsAcceptance = (endpoint: Pick<Endpoint, 'pod' | 'labels'>, port: number) => boolean;

/**
 * The acceptance rule of a set of policies, as Istio's endpoint builder applies it: a sidecar whose workload mode
 * (port-level included) is DISABLE gets plaintext, since its inbound side would pass a TLS handshake to the app.
 */
export function mtlsAcceptance(policies: readonly PeerAuthentication[], rootNamespace: string): MtlsAcceptance {
  if (policies.length === 0) return () => true;
  return (endpoint, port) => !endpoint.pod || portMtls(inboundMtls(policies, rootNamespace, endpoint.pod.namespace, endpoint.labels), port) !== 'DISABLE';
}

/** The endpoint metadata that picks the mTLS transport socket. */
export const SIDECAR_METADATA: Metadata = { filter_metadata: { [TRANSPORT_SOCKET_MATCH]: stringStruct({ tlsMode: 'istio' }) } };

/** The chain a proxy without certificates (no SDS) puts where STRICT demands mTLS: it refuses the connection. */
export type InboundMode = InboundMtls['mode'] | 'REFUSE';

/**
 * How one port's mode plays out on a proxy: with certificates as written; without, PERMISSIVE is plaintext (it can
 * offer no TLS) and STRICT refuses everything, never falling back to plaintext.
 */
export function effectiveMode(mode: InboundMtls['mode'], sds: boolean): InboundMode {
  if (sds) return mode;
  return mode === 'STRICT' ? 'REFUSE' : 'DISABLE';
}

/**
 * The inbound chains of one destination port (undefined: the port-less passthrough chains) to `filters`, by mode:
 * STRICT one TLS chain requiring a client certificate; PERMISSIVE that chain for Istio's ALPN, the app's own TLS
 * passed through as it is, and plaintext; DISABLE plaintext only, matched by port alone; REFUSE to `refuse`.
 */
export function inboundChains(
  name: string,
  port: number | undefined,
  mode: InboundMode,
  filters: readonly NamedFilter[],
  refuse: readonly NamedFilter[],
): FilterChain[] {
  const at = port === undefined ? {} : { destination_port: { value: port } };
  const plain = (f: readonly NamedFilter[]): FilterChain => ({ name, ...(port === undefined ? {} : { filter_chain_match: at }), filters: f });
  if (mode === 'DISABLE') return [plain(filters)];
  if (mode === 'REFUSE') return [plain(refuse)];
  const mtls: FilterChain = {
    name: `${name}-mtls`,
    filter_chain_match: { ...at, transport_protocol: 'tls', ...(mode === 'PERMISSIVE' ? { application_protocols: INBOUND_MTLS_ALPN } : {}) },
    filters,
    transport_socket: downstreamMtls(),
  };
  if (mode === 'STRICT') return [mtls];
  return [
    mtls,
    { name: `${name}-tls`, filter_chain_match: { ...at, transport_protocol: 'tls' }, filters },
    { name, filter_chain_match: { ...at, transport_protocol: 'raw_buffer' }, filters },
  ];
}
