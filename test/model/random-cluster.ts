// A seeded random walk over a small cluster's objects for the ModelBuilder tests: every step adds, changes or deletes
// Services, Pods, EndpointSlices, Nodes and ServiceEntries (sometimes a malformed one, sometimes one under a key
// already taken), as a source would hand them over: unchanged objects keep their instance.
import type { SourceObject } from '../../src/model/index.ts';
import { ep, node, pod, service, serviceEntry, slice, source } from './fixtures.ts';

type Json = Record<string, unknown>;

/** A small deterministic PRNG (mulberry32), so a failure reproduces from its seed. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMESPACES = ['shop', 'pay'];
const SERVICES = ['web', 'api', 'db', 'cache', 'kubernetes'];
const NODES = ['n1', 'n2', 'n3'];

/** The random choices of one walk. */
class Dice {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const v4 = (n: number): string => `10.244.${n >> 8}.${n & 255}`;
const v6 = (n: number): string => `fd00:10:244::${n.toString(16)}`;

function randomService(d: Dice, ns: string, name: string): SourceObject {
  const kind = d.int(6);
  if (kind === 0) return service(ns, name, { type: 'ExternalName', externalName: `${name}.example.com` });
  if (kind === 1) return service(ns, name, { clusterIP: 'None', clusterIPs: ['None'], ipFamilies: ['IPv4', 'IPv6'], selector: { app: name } });
  const n = 1 + d.int(200);
  const ips = d.pick([[`10.96.0.${n}`], [`fd00:10:96::${n.toString(16)}`], [`10.96.0.${n}`, `fd00:10:96::${n.toString(16)}`], [`fd00:10:96::${n.toString(16)}`, `10.96.0.${n}`]]);
  const ports = [{ name: d.pick(['http', 'grpc-x', 'tcp']), port: d.pick([80, 81, 9090]), targetPort: d.pick([8080, 'web']) }];
  return service(ns, name, {
    clusterIP: ips[0],
    clusterIPs: ips,
    ipFamilies: ips.map((ip) => (ip.includes(':') ? 'IPv6' : 'IPv4')),
    ipFamilyPolicy: ips.length > 1 ? 'RequireDualStack' : 'SingleStack',
    selector: { app: name },
    ports,
  }, d.chance(0.2) ? { annotations: { 'biplane.io/ip-family-forwarding': 'native' } } : {});
}

function randomPod(d: Dice, ns: string, name: string): SourceObject {
  const n = 1 + d.int(40);
  const ips = d.pick([[v4(n)], [v6(n)], [v4(n), v6(n)], [v6(n), v4(n)]]);
  return pod(ns, name, ips, { node: d.pick([...NODES, 'ghost']), labels: { app: d.pick(SERVICES), v: String(d.int(3)) } });
}

function randomSlice(d: Dice, ns: string, name: string): SourceObject {
  const family = d.pick(['IPv4', 'IPv6', 'IPv6', 'IPv4', 'FQDN']);
  const endpoints: Json[] = [];
  for (let i = d.int(4); i > 0; i--) {
    const n = 1 + d.int(40);
    const ip = family === 'IPv6' ? v6(n) : v4(n);
    const options = {
      ...(d.chance(0.7) ? { pod: `p${d.int(8)}` } : {}),
      ...(d.chance(0.5) ? { node: d.pick([...NODES, 'ghost']) } : {}),
      ...(d.chance(0.2) ? { zone: 'z9' } : {}),
      ...(d.chance(0.3) ? { conditions: { ready: d.chance(0.5), terminating: d.chance(0.3) } } : {}),
    };
    endpoints.push(ep(ip, options));
  }
  const ports = d.chance(0.8) ? [{ name: 'http', port: 8080, protocol: 'TCP' }] : [{ name: 'tcp', port: 5432 }, { name: 'http', port: 8080 }];
  return slice(ns, name, d.pick(SERVICES), family, endpoints, ports);
}

function randomNode(d: Dice, name: string): SourceObject {
  return node(name, d.pick(['eu', 'us']), d.pick(['a', 'b']), d.pick([['192.168.0.1'], ['fd00::1'], ['192.168.0.1', 'fd00::1']]));
}

function randomEntry(d: Dice, ns: string, name: string): SourceObject {
  const hosts = d.pick([['a.example.com'], ['a.example.com', 'b.example.com'], ['*.wild.example.com'], [`${d.pick(SERVICES)}.shop.svc.cluster.local`]]);
  const addresses = d.pick([[], [], ['240.240.0.9'], ['192.0.2.5', '2001:db8::5'], ['10.0.0.0/8']]);
  const endpoints = d.pick([[], [{ address: '192.0.2.10' }], [{ address: 'backend.example.net', locality: 'eu/a' }]]);
  const metadata = d.chance(0.5) ? { creationTimestamp: `2024-01-0${1 + d.int(5)}T00:00:00Z` } : {};
  return serviceEntry(ns, name, {
    hosts,
    addresses,
    ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
    resolution: d.pick(['STATIC', 'DNS', 'NONE']),
    location: d.pick(['MESH_EXTERNAL', 'MESH_INTERNAL']),
    endpoints,
  }, metadata);
}

/** One random object of a random kind, under a key from a small set (so keys collide and objects get replaced). */
function randomObject(d: Dice): SourceObject {
  const ns = d.pick(NAMESPACES);
  switch (d.int(6)) {
    case 0:
      return randomService(d, ns, d.pick(SERVICES));
    case 1:
    case 2:
      return randomPod(d, ns, `p${d.int(8)}`);
    case 3:
      return randomSlice(d, ns, `s${d.int(6)}`);
    case 4:
      return randomNode(d, d.pick(NODES));
    default:
      return randomEntry(d, ns, `e${d.int(3)}`);
  }
}

const keyOf = (o: SourceObject): string => `${o.key.kind}/${o.key.namespace}/${o.key.name}`;

/**
 * A random walk of `steps` object lists. Each step replaces, adds or deletes a few objects (a replacement sometimes
 * with identical content, i.e. a new instance only); now and then an object is malformed, the list is shuffled, or
 * one key appears twice.
 */
export function* randomWalk(seed: number, steps: number): Generator<readonly SourceObject[]> {
  const d = new Dice(random(seed));
  const current = new Map<string, SourceObject>();
  for (let i = 0; i < 30; i++) {
    const o = randomObject(d);
    current.set(keyOf(o), o);
  }
  for (let step = 0; step < steps; step++) {
    for (let edits = 1 + d.int(3); edits > 0; edits--) {
      const keys = [...current.keys()];
      const roll = d.next();
      if (roll < 0.15 && keys.length > 0) current.delete(d.pick(keys));
      else if (roll < 0.25 && keys.length > 0) {
        const old = current.get(d.pick(keys)) as SourceObject;
        current.set(keyOf(old), { ...old, version: `${old.version}+` });
      } else if (roll < 0.3) {
        const bad = source({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `bad${d.int(2)}`, namespace: 'shop' }, status: { podIP: 42 } });
        current.set(keyOf(bad), bad);
      } else {
        const o = randomObject(d);
        current.set(keyOf(o), o);
      }
    }
    const list = [...current.values()];
    if (d.chance(0.2)) list.sort(() => d.next() - 0.5);
    if (d.chance(0.05) && list.length > 0) list.push(d.chance(0.5) ? (list[0] as SourceObject) : randomObject(d));
    yield list;
  }
}
