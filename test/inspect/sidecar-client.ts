// A sidecar-like ADS client for the inspection tests: one SotW stream that subscribes to CDS and LDS, then to the
// EDS and RDS names they reference, and ACKs every response except the one type it is told to NACK.
import { TypeUrl } from '../../src/xds/index.ts';
import { openSotw, sotwMessages, type RawStream, type SotwResponse } from '../xds/raw-client.ts';

/** A demo pod as its sidecar announces itself. */
export interface PodNode {
  readonly namespace: string;
  readonly name: string;
  /** The pod's IPs, primary first. */
  readonly ips: readonly string[];
}

/** The Istio-style node id of a pod's sidecar. */
export function sidecarNodeId(pod: PodNode): string {
  return `sidecar~${pod.ips[0] ?? ''}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`;
}

type Msg = Record<string, unknown>;
const list = (v: unknown): Msg[] => (Array.isArray(v) ? (v as Msg[]) : []);

/** The EDS names the clusters reference. */
function edsNames(clusters: readonly Msg[]): string[] {
  return clusters
    .filter((c) => c['type'] === 'EDS')
    .map((c) => String((c['eds_cluster_config'] as Msg | undefined)?.['service_name'] ?? c['name']));
}

/** The RDS names the listeners' HTTP connection managers reference. */
function rdsNames(listeners: readonly Msg[]): string[] {
  const names = listeners.flatMap((l) =>
    list(l['filter_chains']).flatMap((chain) =>
      list(chain['filters']).map((f) => ((f['typed_config'] as Msg | undefined)?.['rds'] as Msg | undefined)?.['route_config_name']),
    ),
  );
  return [...new Set(names.filter((n): n is string => typeof n === 'string'))].sort();
}

/** Connects `pod`'s sidecar to `xds`, syncs all four types (NACKing `nack`, if given) and returns the open stream. */
export async function connectSidecar(xds: string, pod: PodNode, nack?: string): Promise<RawStream<SotwResponse>> {
  const stream = openSotw(xds);
  const node = { id: sidecarNodeId(pod), metadata: { NAMESPACE: pod.namespace, INSTANCE_IPS: pod.ips.join(',') } };
  const sync = async (typeUrl: string, names: readonly string[]): Promise<Msg[]> => {
    stream.send({ node, type_url: typeUrl, resource_names: names });
    const res = await stream.next(30_000);
    if (typeUrl === nack) {
      stream.send({ node, type_url: typeUrl, resource_names: names, response_nonce: res.nonce, error_detail: { code: 3, message: `test rejects ${typeUrl}` } });
    } else {
      stream.send({ node, type_url: typeUrl, resource_names: names, version_info: res.version_info, response_nonce: res.nonce });
    }
    return sotwMessages(res);
  };
  try {
    const clusters = await sync(TypeUrl.Cluster, []);
    await sync(TypeUrl.ClusterLoadAssignment, edsNames(clusters));
    const listeners = await sync(TypeUrl.Listener, []);
    await sync(TypeUrl.RouteConfiguration, rdsNames(listeners));
  } catch (err) {
    stream.close();
    throw err;
  }
  return stream;
}
