// Nodes and Pods: where workloads run (locality from Node topology labels) and which IPs they have.
import { parseAddress } from './address.ts';
import { REGION_LABEL, ZONE_LABEL } from './names.ts';
import { asArray, asRecord, asString, metadataOf, objectRef, statusOf, stringMap } from './json-readers.ts';
import type { Address, Locality, Pod, SourceObject } from './types.ts';

/** What the model needs of a Node: its locality and its IPs (which tell the cluster's families). */
export interface NodeInfo {
  readonly locality: Locality;
  readonly addresses: readonly Address[];
}

/** A locality with only the parts that are set (no `undefined` members). */
export function locality(region?: string, zone?: string, subzone?: string): Locality {
  return {
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(subzone ? { subzone } : {}),
  };
}

/** The NodeInfo of a (checked) Node object: topology labels and InternalIP/ExternalIP addresses. */
export function buildNode(source: SourceObject): NodeInfo {
  const labels = stringMap(metadataOf(source.object)['labels']);
  const addresses = asArray(statusOf(source.object)['addresses']).flatMap((entry) => {
    const record = asRecord(entry);
    const type = asString(record?.['type']);
    if (type !== 'InternalIP' && type !== 'ExternalIP') return [];
    const address = parseAddress(asString(record?.['address']) ?? '');
    return address ? [address] : [];
  });
  return { locality: locality(labels[REGION_LABEL], labels[ZONE_LABEL]), addresses };
}

/** A pod's IPs: `status.podIPs` (first of each family, in order), else `status.podIP`. */
export function podIPsOf(object: Readonly<Record<string, unknown>>): Address[] {
  const status = statusOf(object);
  const listed = asArray(status['podIPs']).map((entry) => parseAddress(asString(asRecord(entry)?.['ip']) ?? ''));
  const single = parseAddress(asString(status['podIP']) ?? '');
  const candidates = listed.some((a) => a !== undefined) ? listed : [single];
  const out: Address[] = [];
  for (const address of candidates) {
    if (address && !out.some((a) => a.family === address.family)) out.push(address);
  }
  return out;
}

/** The model Pod of a (checked) Pod object, its locality taken from its node. */
export function buildPod(source: SourceObject, nodes: ReadonlyMap<string, NodeInfo>): Pod {
  const metadata = metadataOf(source.object);
  const spec = asRecord(source.object['spec']);
  const nodeName = asString(spec?.['nodeName']);
  return {
    namespace: source.key.namespace,
    name: source.key.name,
    ips: podIPsOf(source.object),
    labels: stringMap(metadata['labels']),
    annotations: stringMap(metadata['annotations']),
    ...(nodeName ? { nodeName } : {}),
    serviceAccount: asString(spec?.['serviceAccountName']) || 'default',
    locality: (nodeName && nodes.get(nodeName)?.locality) || {},
    origin: { ...source.origin, object: objectRef(source.key) },
  };
}
