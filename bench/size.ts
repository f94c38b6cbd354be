// Scenario 1: bytes per proxy for single-stack and dual-stack (`shared`, `per-family`), and the floor.
import { translate } from '../src/translate/index.ts';
import type { EnvoyResources, ForwardingStrategy } from '../src/translate/index.ts';
import type { ClusterShape, SyntheticNode } from './cluster.ts';
import { KINDS, encodedBytes, resourceCounts } from './encode.ts';
import type { ByteCounts } from './encode.ts';
import { floorOf } from './floor.ts';
import { progress, round } from './report.ts';
import type { Row, ScenarioResult } from './report.ts';
import { prepare, proxyOf, withStack } from './setup.ts';
import type { Prepared } from './setup.ts';

function bytesOf(p: Prepared, mode: SyntheticNode['mode'], strategy: ForwardingStrategy = 'shared'): { bytes: ByteCounts; resources: EnvoyResources } {
  const resources = translate(p.index, proxyOf(p, mode), { strategy });
  return { bytes: encodedBytes(resources), resources };
}

function minus(a: ByteCounts, b: ByteCounts): ByteCounts {
  const out = { ...a };
  for (const k of [...KINDS, 'total'] as const) out[k] = a[k] - b[k];
  return out;
}

function typeColumns(prefix: string, b: ByteCounts): Row {
  return Object.fromEntries(KINDS.map((k) => [`${prefix}${k.slice(0, 3)}`, b[k]]));
}

/**
 * A dual proxy against what it would get without the second family: `single` = its bytes on the `primary` twin (every
 * service keeps only its first family) minus what a dual proxy adds over a single-family one on the single-stack twin
 * of its primary family. Services that have one family cost the same in any design, so they are compared as they are.
 */
function dualRow(services: number, twins: Twins, mode: 'Dual' | 'Dual6'): Row {
  const primaryFamily = mode === 'Dual' ? 'IPv4' : 'IPv6';
  const twin = primaryFamily === 'IPv4' ? twins.single : twins.single6;
  const shared = bytesOf(twins.dual, mode, 'shared').bytes;
  const perFamily = bytesOf(twins.dual, mode, 'per-family').bytes;
  const servicePart = bytesOf(twins.primary, mode).bytes;
  const singleOnTwin = bytesOf(twin, primaryFamily);
  const proxyPart = minus(bytesOf(twin, mode).bytes, singleOnTwin.bytes);
  const single = minus(servicePart, proxyPart);
  const floor = floorOf(twins.dual.index, singleOnTwin.resources, proxyOf(twin, primaryFamily));
  const naive = bytesOf(twins.single, 'IPv4').bytes;
  return {
    services, mode, single: single.total, shared: shared.total, perFamily: perFamily.total, floor: floor.total,
    'shared/single': round(shared.total / single.total), 'perFam/single': round(perFamily.total / single.total),
    '(shared-single)/floor': round((shared.total - single.total) / floor.total),
    '(perFam-single)/floor': round((perFamily.total - single.total) / floor.total),
    'shared/ipv4Twin': round(shared.total / naive.total),
    ...typeColumns('single.', single), ...typeColumns('shared.', shared), ...typeColumns('perFam.', perFamily),
    'floor.lds': floor.listenerAddresses + floor.wildcardAddresses, 'floor.eds': floor.endpointAddresses,
    'floor.cds': floor.bindAddresses, 'floor.rds': floor.domains,
  };
}

/** A single-family proxy on the dual cluster against the same proxy on its family's single-stack twin. */
function singleRow(services: number, twins: Twins, mode: 'IPv4' | 'IPv6'): Row {
  const onDual = bytesOf(twins.dual, mode);
  const onTwin = bytesOf(mode === 'IPv4' ? twins.single : twins.single6, mode).bytes;
  return {
    services, mode, single: onTwin.total, shared: onDual.bytes.total, perFamily: onDual.bytes.total, floor: null,
    'shared/single': round(onDual.bytes.total / onTwin.total), 'perFam/single': round(onDual.bytes.total / onTwin.total),
    resources: resourceCounts(onDual.resources).total,
  };
}

interface Twins {
  readonly dual: Prepared;
  readonly primary: Prepared;
  readonly single: Prepared;
  readonly single6: Prepared;
}

/** Runs the size scenario for each service count. */
export function runSize(shapes: readonly ClusterShape[]): ScenarioResult {
  const rows: Row[] = [];
  for (const shape of shapes) {
    progress(`size: ${shape.services} services × ${shape.podsPerService} pods: generating the dual cluster and its twins`);
    const twins: Twins = {
      dual: prepare(withStack(shape, 'dual')),
      primary: prepare(withStack(shape, 'primary')),
      single: prepare(withStack(shape, 'single')),
      single6: prepare(withStack(shape, 'single6')),
    };
    for (const mode of ['Dual', 'Dual6'] as const) {
      progress(`size: ${shape.services} services, ${mode} proxy`);
      rows.push(dualRow(shape.services, twins, mode));
    }
    for (const mode of ['IPv4', 'IPv6'] as const) rows.push(singleRow(shape.services, twins, mode));
  }
  return { scenario: 'size', rows };
}
