// The requests the bench's bare ADS clients send (bench/ads-clients.ts, bench/soak-clients.ts): the node, each type's
// first request and ACKs, encoded with Envoy's protos.
import { TypeUrl, encodeMessage } from '../src/envoy-api/protos.ts';
import type { ClientNode } from './ads-clients.ts';

/** The four types every bench stream subscribes to, in the order it asks for them. */
export const TYPES = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];
/** CDS and LDS are wildcard by an empty list; EDS and RDS ask for everything with '*' (no name tracking here). */
const NAMES: Readonly<Record<string, string[]>> = {
  [TypeUrl.Cluster]: [],
  [TypeUrl.Listener]: [],
  [TypeUrl.ClusterLoadAssignment]: ['*'],
  [TypeUrl.RouteConfiguration]: ['*'],
};
const SOTW = 'envoy.service.discovery.v3.DiscoveryRequest';
const DELTA = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';

/** The xDS Node of a bench client. */
export function nodeMessage(node: ClientNode): object {
  const fields = Object.fromEntries(Object.entries(node.metadata).map(([k, v]) => [k, { stringValue: v }]));
  return { id: node.id, cluster: 'bench', metadata: { fields } };
}

/** Resource names to ask for by type URL, instead of the defaults above (e.g. explicit EDS and RDS names). */
export type NameLists = Readonly<Record<string, readonly string[]>>;

/** The first request of a type on a stream (the node on the first only). */
export function firstRequest(kind: 'sotw' | 'delta', typeUrl: string, node: object | undefined, lists?: NameLists): Buffer {
  const names = lists?.[typeUrl] ?? NAMES[typeUrl] ?? [];
  const message = kind === 'sotw'
    ? { type_url: typeUrl, resource_names: names, ...(node ? { node } : {}) }
    : { type_url: typeUrl, resource_names_subscribe: names, ...(node ? { node } : {}) };
  return Buffer.from(encodeMessage(kind === 'sotw' ? SOTW : DELTA, message));
}

/** An ACK of a response (a SotW ACK repeats the names the stream asked for). */
export function ack(kind: 'sotw' | 'delta', typeUrl: string, version: string, nonce: string, lists?: NameLists): Buffer {
  const message = kind === 'sotw'
    ? { type_url: typeUrl, version_info: version, response_nonce: nonce, resource_names: lists?.[typeUrl] ?? NAMES[typeUrl] ?? [] }
    : { type_url: typeUrl, response_nonce: nonce };
  return Buffer.from(encodeMessage(kind === 'sotw' ? SOTW : DELTA, message));
}

