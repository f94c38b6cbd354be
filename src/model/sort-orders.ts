// The model's deterministic sort orders: services, endpoints and pods, so every list it builds is stable.
import { compareStrings } from '../compare-strings.ts';
import type { Endpoint, Pod, Service } from './types.ts';

/** Services by hostname, then namespace, then kind. */
export function compareServices(a: Service, b: Service): number {
  return compareStrings(a.hostname, b.hostname) || compareStrings(a.namespace, b.namespace) || compareStrings(a.kind, b.kind);
}

/** The address (or hostname) an endpoint sorts by. */
function whereOf(e: Endpoint): string {
  return e.addresses[0]?.ip ?? e.hostname ?? '';
}

/** The `namespace/name` an endpoint's pod sorts by. */
function podOf(e: Endpoint): string {
  return e.pod ? `${e.pod.namespace}/${e.pod.name}` : '';
}

/** Endpoints by service, then first address (or hostname), then pod, then where they came from. */
export function compareEndpoints(a: Endpoint, b: Endpoint): number {
  return (
    compareStrings(a.service, b.service) ||
    compareStrings(whereOf(a), whereOf(b)) ||
    compareStrings(podOf(a), podOf(b)) ||
    compareStrings(a.origin.object ?? '', b.origin.object ?? '') ||
    compareStrings(a.origin.field ?? '', b.origin.field ?? '')
  );
}

/** Pods by namespace, then name. */
export function comparePods(a: Pod, b: Pod): number {
  return compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name);
}

/** Where `pod` goes in a list sorted by `comparePods` (after equal ones). */
export function podIndex(sorted: readonly Pod[], pod: Pod): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (comparePods(sorted[mid] as Pod, pod) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
