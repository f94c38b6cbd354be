// `biplane bootstrap`: the Envoy bootstrap file for one pod's sidecar, read with the real Bootstrap proto and printed
// as canonical proto3 JSON.
import type { InterceptionMode } from '../model/types.ts';
import { DEFAULT_SDS_SOCKET, sidecarBootstrap, type XdsAddress } from '../translate/bootstrap.ts';
import { defaultXdsServerName } from '../translate/xds-tls.ts';
import { fromProto3Json } from '../xds/proto3-json-parse.ts';
import { toProto3Json, type JsonValue } from '../xds/proto3-json.ts';
import { parseManifests } from '../sources/files/index.ts';
import { loadMesh, meshOf, type LoadedMesh } from '../pipeline/index.ts';
import type { Command } from './main.ts';
import { commandFlags, usageExit } from './args.ts';
import { splitHostPort } from '../model/index.ts';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

const USAGE = `usage: biplane bootstrap --manifests DIR --proxy NAMESPACE/POD [--xds-address HOST:PORT] [--ads sotw|delta]
                         [--interception redirect|tproxy] [--dns-capture] [--sds-socket PATH]
                         [--xds-tls --xds-root FILE [--xds-server-name NAME]]
       biplane bootstrap --ips IP[,IP] --proxy NAMESPACE/POD [flags]     (inside the pod: no manifests needed)

Prints the Envoy bootstrap (JSON) for the sidecar of one pod: node id and metadata, ADS to biplane, admin on
localhost, stats (15090) and readiness (15021) listeners on every family the pod has.

flags:
  --manifests DIR          folder (or file) of manifests
  --ips LIST               instead of --manifests: the pod's IPs, primary first (what an injected sidecar knows
                           from the downward API)
  --proxy NAMESPACE/POD    the pod
  --xds-address HOST:PORT  biplane's xDS server (default 127.0.0.1:15010; IPv6 as [::1]:15010; unix:/path for a
                           Unix socket)
  --ads sotw|delta         state-of-the-world or incremental (delta) ADS (default sotw)
  --interception MODE      how the pod's traffic is captured, sent as node metadata INTERCEPTION_MODE (default: the
                           pod's sidecar.istio.io/interceptionMode annotation, else redirect, which is left unsaid)
  --dns-capture            say in node metadata (DNS_CAPTURE, DNS_AUTO_ALLOCATE) that the pod's DNS is captured, as
                           \`biplane agent\` does
  --sds-socket PATH        the agent's SDS server (Unix socket; Istio's agent uses
                           ${DEFAULT_SDS_SOCKET}): adds the sds-grpc cluster and node
                           metadata SDS, so biplane gives the sidecar mesh mTLS (auto-mTLS out, PeerAuthentication in);
                           without it the sidecar has no certificates and stays plaintext
  --xds-tls                reach biplane's TLS xDS port (15012) over TLS (ALPN h2), presenting the pod's certificate
                           from SDS (needs --sds-socket) so the sidecar authenticates with its own identity
  --xds-root FILE          root that verifies biplane's serving certificate (a path Envoy reads; with --xds-tls)
  --xds-server-name NAME   the name biplane's certificate must carry (DNS SAN, sent as SNI; an IP literal checks an IP
                           SAN; default: the --xds-address host, localhost for unix:)
  --help`;

const MODES: Readonly<Record<string, InterceptionMode>> = { redirect: 'REDIRECT', tproxy: 'TPROXY' };

/** Reads `--xds-address`: `unix:/path`, `host:port` or `[v6]:port`. */
function xdsAddress(text: string): XdsAddress | undefined {
  if (text.startsWith('unix:')) return text.length > 'unix:'.length ? { pipe: text.slice('unix:'.length) } : undefined;
  return splitHostPort(text);
}

/** The mesh of a single pod known only by name and IPs: what a sidecar needs to bootstrap without the cluster. */
export function podOnlyMesh(target: string, ips: string): LoadedMesh {
  const [namespace, name, ...rest] = target.split('/');
  if (!namespace || !name || rest.length > 0) return { error: `--proxy must be NAMESPACE/POD, got ${JSON.stringify(target)}` };
  const list = ips.split(',').map((ip) => ip.trim()).filter((ip) => ip !== '');
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    status: { podIP: list[0], podIPs: list.map((ip) => ({ ip })) },
  };
  return meshOf(parseManifests(JSON.stringify(pod), '--ips'), namespace, name, '--ips');
}

/** What is wrong with the xDS-over-TLS flags (shared with `biplane agent`, where certificates stand for the socket). */
export function xdsTlsProblem(on: boolean, root: string | undefined, serverName: string | undefined, certificates: unknown): string | undefined {
  if (!on) return root !== undefined || serverName !== undefined ? '--xds-root and --xds-server-name need --xds-tls' : undefined;
  if (root === undefined || root === '') return '--xds-tls needs --xds-root (the root that verifies biplane)';
  if (certificates === undefined) return '--xds-tls needs the pod\'s certificate as its client certificate (--sds-socket; for the agent --ca-address or --cert-dir)';
  return undefined;
}

/** `bootstrap` command. */
export const command: Command = {
  summary: 'print the Envoy bootstrap of one pod’s sidecar',
  async run(argv) {
    const values = commandFlags('bootstrap', USAGE, argv, {
      manifests: { type: 'string' },
      ips: { type: 'string' },
      proxy: { type: 'string' },
      'xds-address': { type: 'string', default: '127.0.0.1:15010' },
      ads: { type: 'string', default: 'sotw' },
      interception: { type: 'string' },
      'dns-capture': { type: 'boolean', default: false },
      'sds-socket': { type: 'string' },
      'xds-tls': { type: 'boolean', default: false },
      'xds-root': { type: 'string' },
      'xds-server-name': { type: 'string' },
    });
    if (typeof values === 'number') return values;
    const xds = xdsAddress(values['xds-address']);
    const interception = values.interception === undefined ? undefined : MODES[values.interception.toLowerCase()];
    const problem = !xds ? 'bad --xds-address'
      : !['sotw', 'delta'].includes(values.ads) ? '--ads must be sotw or delta'
      : values.interception !== undefined && !interception ? '--interception must be redirect or tproxy'
      : (values.manifests === undefined) === (values.ips === undefined) ? 'need exactly one of --manifests and --ips'
      : values['sds-socket'] === '' ? '--sds-socket needs a path'
      : !values.proxy ? 'need --proxy'
      : xdsTlsProblem(values['xds-tls'], values['xds-root'], values['xds-server-name'], values['sds-socket']);
    if (problem || !xds || !values.proxy) {
      return usageExit('bootstrap', USAGE, { usage: String(problem) });
    }
    const mesh = values.manifests !== undefined ? await loadMesh(values.manifests, values.proxy) : podOnlyMesh(values.proxy, values.ips ?? '');
    if ('error' in mesh) {
      console.error(`biplane bootstrap: ${mesh.error}`);
      return 1;
    }
    mesh.warnings.forEach((w) => console.error(w));
    const apiType = values.ads === 'delta' ? 'DELTA_GRPC' : 'GRPC';
    const metadata = values['dns-capture'] ? { DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: 'true' } : {};
    const sds = values['sds-socket'] !== undefined ? { sdsSocket: values['sds-socket'] } : {};
    const tls = values['xds-tls'] ? { xdsTls: { rootFile: values['xds-root'] ?? '', serverName: values['xds-server-name'] ?? defaultXdsServerName(xds) } } : {};
    const bootstrap = sidecarBootstrap(mesh.proxy, xds, { apiType, metadata, ...sds, ...tls, ...(interception ? { interception } : {}) });
    const bytes = fromProto3Json(BOOTSTRAP, bootstrap as JsonValue); // throws on anything the real proto lacks
    process.stdout.write(`${JSON.stringify(toProto3Json(BOOTSTRAP, bytes), null, 2)}\n`);
    return 0;
  },
};
