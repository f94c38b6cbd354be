// Protocol sniffing rules: a chain that matches plaintext HTTP by application protocol only ever matches when the
// listener runs http_inspector (nothing else sets `http/1.1` or `h2c` on a plaintext connection; Envoy injects a TLS
// inspector by itself, never an HTTP one), and a sniffing listener with a fall-through chain must let a client that
// sends nothing first (a server-first protocol) reach it: continue on the listener filters' timeout, and have one.
import { anyTypeName, asArr, asNum, asObj, asStr, fieldPath, type Obj } from '../envoy-api/plain.ts';
import { filterChainsOf, type Located } from '../envoy-api/resource-walk.ts';
import type { Report } from './problem.ts';

const TLS_INSPECTOR = { name: 'envoy.filters.listener.tls_inspector', type: 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' };
const HTTP_INSPECTOR = { name: 'envoy.filters.listener.http_inspector', type: 'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' };

function hasListenerFilter(listener: Obj, filter: { name: string; type: string }): boolean {
  return asArr(listener['listener_filters']).some((f) => asObj(f)?.['name'] === filter.name || anyTypeName(asObj(f)?.['typed_config']) === filter.type);
}

/** Whether a chain's match needs http_inspector: plaintext (`raw_buffer`) with application protocols, or `h2c`. */
function needsHttpInspector(chain: Located): boolean {
  const match = asObj(chain.value['filter_chain_match']);
  const protocols = asArr(match?.['application_protocols']).map(String);
  if (protocols.length === 0) return false;
  return asStr(match?.['transport_protocol']) === 'raw_buffer' || protocols.includes('h2c');
}

/** A chain without transport, application protocol or server name criteria takes undetected connections. */
function fallsThrough(chain: Located): boolean {
  const match = asObj(chain.value['filter_chain_match']);
  return !asStr(match?.['transport_protocol']) && asArr(match?.['application_protocols']).length === 0 && asArr(match?.['server_names']).length === 0;
}

function durationIsZero(value: unknown): boolean {
  const d = asObj(value);
  if (!d) return false;
  return (asNum(d['seconds']) ?? 0) === 0 && (asNum(d['nanos']) ?? 0) === 0;
}

/** Reports chains that wait for an http_inspector the listener lacks, and sniffing that strands server-first clients. */
export function checkSniffing(listener: Obj, report: Report): void {
  const chains = filterChainsOf(listener);
  const http = hasListenerFilter(listener, HTTP_INSPECTOR);
  if (!http) {
    for (const chain of chains.filter(needsHttpInspector)) {
      report(fieldPath(chain.path, 'filter_chain_match.application_protocols'), 'listener.http_inspector_required', 'matches plaintext HTTP by application protocol, which only the envoy.filters.listener.http_inspector listener filter detects; without it this chain never matches');
    }
  }
  const sniffs = http || hasListenerFilter(listener, TLS_INSPECTOR);
  if (!sniffs || !chains.some(fallsThrough)) return;
  if (listener['continue_on_listener_filters_timeout'] !== true) {
    report('continue_on_listener_filters_timeout', 'listener.sniffing_timeout', 'is not set, so a client that sends nothing first (a server-first protocol such as MySQL) is closed when the listener filters time out instead of reaching the fall-through chain');
  } else if (durationIsZero(listener['listener_filters_timeout'])) {
    report('listener_filters_timeout', 'listener.sniffing_timeout', 'is 0, so the listener filters wait forever for a client that sends nothing first (a server-first protocol such as MySQL), which then never reaches the fall-through chain');
  }
}
