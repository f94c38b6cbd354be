// Every resource set the split and cache tests run over: the hand-built fixtures, every translator golden under
// testdata/translate/*/ (snake_case decoded resources), and broken copies of each that trip per-resource and
// cross-resource rules alike, so a property over them is not vacuously true.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GOLDEN_ROOT, goldenCases } from '../translate/golden-cases.ts';
import { dualStack, grpcSet, put, type Fixture, type Json } from './fixtures.ts';


/** A named resource set. */
export interface NamedSet {
  readonly name: string;
  readonly set: Fixture;
}

function readList(dir: string, type: string): Json[] {
  const file = path.join(dir, `${type}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Json[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every golden case as a resource set, by folder name. */
export function goldenSets(): NamedSet[] {
  return goldenCases().map((name) => {
    const dir = path.join(GOLDEN_ROOT, name);
    const set = { listeners: readList(dir, 'listeners'), clusters: readList(dir, 'clusters'), routes: readList(dir, 'routes'), endpoints: readList(dir, 'endpoints') };
    return { name: `golden ${name}`, set };
  });
}

/** Breaks one set in several ways at once: a duplicate, a dangling reference, a bad field, a misspelled field. */
function broken(source: Fixture): Fixture {
  const set = structuredClone(source);
  const [listener] = set.listeners;
  if (listener) set.listeners.push(structuredClone(listener)); // same name, same address
  set.clusters.shift(); // whatever referred to it now dangles
  const route = set.routes[0];
  if (route) put(route, 'virtual_hosts[0].domains', ['fd00::1', 'a*b']);
  const endpoint = set.endpoints[0];
  if (endpoint) put(endpoint, 'endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value', '80x');
  const cluster = set.clusters[0];
  if (cluster) put(cluster, 'connectTimeout', { seconds: 1 });
  return set;
}

/** Fixtures and goldens, each as is and broken. */
export function allSets(): NamedSet[] {
  const base: NamedSet[] = [{ name: 'fixture dual-stack', set: dualStack() }, { name: 'fixture gRPC', set: grpcSet() }, ...goldenSets()];
  return base.flatMap((s) => [s, { name: `${s.name} (broken)`, set: broken(s.set) }]);
}
