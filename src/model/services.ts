// Kubernetes Service → model Service: hostname, VIPs in `clusterIPs` order, families, headless and ExternalName.
import { parseAddress } from './address.ts';
import { FORWARDING_ANNOTATION, serviceHostname } from './names.ts';
import { portProtocol } from './ports.ts';
import { asArray, asRecord, asString, isPort, isRecord, metadataOf, objectRef, specOf, stringMap } from './json-readers.ts';
import type { Address, IPFamily, Service, ServicePort, SourceObject } from './types.ts';

const POLICIES: readonly Service['ipFamilyPolicy'][] = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

/** Builds the model Service of a (checked) Kubernetes Service object. */
export function buildService(source: SourceObject): Service {
  const metadata = metadataOf(source.object);
  const spec = specOf(source.object);
  const annotations = stringMap(metadata['annotations']);
  const externalName = spec['type'] === 'ExternalName' ? asString(spec['externalName']) : undefined;
  const ips = clusterIPsOf(spec);
  const headless = externalName === undefined && ips[0] === 'None';
  const vips = externalName === undefined ? ips.map(parseAddress).filter((a): a is Address => a !== undefined) : [];
  const policy = asString(spec['ipFamilyPolicy']) as Service['ipFamilyPolicy'] | undefined;
  const selector = isRecord(spec['selector']) ? { selector: stringMap(spec['selector']) } : {};
  return {
    kind: 'Service',
    hostname: serviceHostname(source.key.namespace, source.key.name),
    name: source.key.name,
    namespace: source.key.namespace,
    ports: asArray(spec['ports']).flatMap(servicePort),
    vips,
    ipFamilies: familiesOf(spec, vips),
    ipFamilyPolicy: policy && POLICIES.includes(policy) ? policy : 'SingleStack',
    headless,
    ...(externalName === undefined ? {} : { externalName }),
    resolution: externalName === undefined ? 'STATIC' : 'DNS',
    location: 'MESH_INTERNAL',
    forwarding: annotations[FORWARDING_ANNOTATION] === 'native' ? 'native' : 'shared',
    ...selector,
    labels: stringMap(metadata['labels']),
    annotations,
    origin: { ...source.origin, object: objectRef(source.key) },
  };
}

/** `spec.clusterIPs`, or `[spec.clusterIP]` on objects written before dual-stack; empty strings dropped. */
function clusterIPsOf(spec: Readonly<Record<string, unknown>>): string[] {
  const list = asArray(spec['clusterIPs']).filter((ip): ip is string => typeof ip === 'string' && ip !== '');
  if (list.length > 0) return list;
  const single = asString(spec['clusterIP']);
  return single ? [single] : [];
}

/** `spec.ipFamilies` when given, else the families of the VIPs (objects written before dual-stack). */
function familiesOf(spec: Readonly<Record<string, unknown>>, vips: readonly Address[]): IPFamily[] {
  const given = asArray(spec['ipFamilies']).filter((f): f is IPFamily => f === 'IPv4' || f === 'IPv6');
  return given.length > 0 ? [...new Set(given)] : vips.map((v) => v.family);
}

/** One `spec.ports` entry; none when it has no valid port number. */
function servicePort(value: unknown): ServicePort[] {
  const port = asRecord(value);
  if (!port || !isPort(port['port'])) return [];
  const name = asString(port['name']) ?? '';
  const target = port['targetPort'];
  const targetPort = isPort(target) || (typeof target === 'string' && target !== '') ? target : port['port'];
  const protocol = portProtocol(asString(port['appProtocol']), name, asString(port['protocol']) ?? 'TCP');
  return [{ name, port: port['port'], protocol, targetPort }];
}
