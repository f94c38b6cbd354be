// Istio's PeerAuthentication (security.istio.io): its schema check, its conversion to the model, and the rule that
// picks the mutual TLS mode of one workload's inbound ports. Policies nest: a workload policy (a selector matching the
// pod's labels, in the pod's namespace) over the namespace policy (no selector) over the mesh policy (no selector, in
// the root namespace); UNSET inherits from the wider level, and with nothing set the mode is PERMISSIVE. Among several
// policies of one level the oldest wins (creation time, then name), as in Istio. `portLevelMtls` counts only on
// workload policies, keyed by the workload's (container) port.
import { describe, fail, optEnum, optRecord, stringMapField, warn } from './check-fields.ts';
import type { Sink } from './check-fields.ts';
import { checkLabels } from './check-limits.ts';
import { asRecord, asString, metadataOf, objectRef, specOf, stringMap } from './json-readers.ts';
import { compareStrings } from '../compare-strings.ts';
import type { Raw } from './json-readers.ts';
import type { MtlsMode, PeerAuthentication, SourceObject } from './types.ts';

/** The modes a PeerAuthentication may name. */
export const MTLS_MODES: readonly MtlsMode[] = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'];

/** The root namespace Istio reads mesh-wide policies from, unless configured otherwise. */
export const DEFAULT_ROOT_NAMESPACE = 'istio-system';

/** Checks a PeerAuthentication's spec: selector labels, mode, port-level modes. */
export function checkPeerAuthentication(raw: Raw, sink: Sink): void {
  // An empty spec is legal: a policy that sets nothing (UNSET everywhere).
  const spec = raw['spec'] === undefined || raw['spec'] === null ? {} : optRecord(sink, raw, 'spec', '');
  if (!spec) return;
  const selector = optRecord(sink, spec, 'selector', 'spec');
  if (selector) {
    stringMapField(sink, selector, 'matchLabels', 'spec.selector');
    checkLabels(sink, selector['matchLabels'], 'spec.selector.matchLabels');
  }
  const mtls = optRecord(sink, spec, 'mtls', 'spec');
  if (mtls) optEnum(sink, mtls, 'mode', 'spec.mtls', MTLS_MODES);
  const ports = optRecord(sink, spec, 'portLevelMtls', 'spec');
  if (!ports) return;
  if (!selector) warn(sink, 'spec.portLevelMtls', 'is ignored without spec.selector (Istio honours port-level modes only on workload policies)');
  for (const port of Object.keys(ports).sort()) {
    const at = `spec.portLevelMtls.${port}`;
    if (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535) fail(sink, at, `the key must be a port number 1..65535, got ${JSON.stringify(port)}`);
    const value = asRecord(ports[port]);
    if (!value) fail(sink, at, `must be an object, got ${describe(ports[port])}`);
    else optEnum(sink, value, 'mode', at, MTLS_MODES);
  }
}

function modeOf(value: unknown): MtlsMode {
  const mode = asString(asRecord(value)?.['mode']);
  return mode !== undefined && (MTLS_MODES as readonly string[]).includes(mode) ? (mode as MtlsMode) : 'UNSET';
}

/** The model's view of one checked PeerAuthentication object. */
export function buildPeerAuthentication(source: SourceObject): PeerAuthentication {
  const spec = specOf(source.object);
  const selectorRecord = asRecord(spec['selector']);
  const labels = selectorRecord ? stringMap(selectorRecord['matchLabels']) : {};
  // A selector without labels selects nothing in particular: the policy is the namespace's.
  const selector = Object.keys(labels).length > 0 ? labels : undefined;
  const portModes: Record<string, MtlsMode> = {};
  const ports = asRecord(spec['portLevelMtls']) ?? {};
  for (const port of Object.keys(ports).sort()) portModes[port] = modeOf(ports[port]);
  const created = asString(metadataOf(source.object)['creationTimestamp']);
  return {
    namespace: source.key.namespace,
    name: source.key.name,
    ...(selector ? { selector } : {}),
    mode: modeOf(spec['mtls']),
    portModes,
    ...(created ? { created } : {}),
    origin: { ...source.origin, object: objectRef(source.key) },
  };
}

/** The mutual TLS a workload's sidecar demands inbound: one mode for every port, and the ports that differ. */
export interface InboundMtls {
  readonly mode: Exclude<MtlsMode, 'UNSET'>;
  /** Port → mode, only for ports whose mode differs from `mode`, ascending. */
  readonly ports: readonly { readonly port: number; readonly mode: Exclude<MtlsMode, 'UNSET'> }[];
}

function oldest(policies: readonly PeerAuthentication[]): PeerAuthentication | undefined {
  return [...policies].sort((a, b) => compareStrings(a.created ?? '~', b.created ?? '~') || compareStrings(a.name, b.name))[0];
}

function selects(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  return Object.keys(selector).every((k) => labels[k] === selector[k]);
}

/**
 * The inbound mutual TLS of a workload in `namespace` with `labels`: workload over namespace over mesh policy (the
 * root namespace's selector-less one), UNSET inheriting, PERMISSIVE when nothing says otherwise.
 */
export function inboundMtls(
  policies: readonly PeerAuthentication[],
  rootNamespace: string,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): InboundMtls {
  const mesh = oldest(policies.filter((p) => p.namespace === rootNamespace && !p.selector));
  const ns = namespace === rootNamespace ? undefined : oldest(policies.filter((p) => p.namespace === namespace && !p.selector));
  const workload = oldest(policies.filter((p) => p.namespace === namespace && p.selector && selects(p.selector, labels)));
  let mode: InboundMtls['mode'] = 'PERMISSIVE';
  for (const level of [mesh, ns, workload]) if (level && level.mode !== 'UNSET') mode = level.mode;
  const ports = Object.entries(workload?.portModes ?? {})
    .filter((entry): entry is [string, InboundMtls['mode']] => entry[1] !== 'UNSET' && entry[1] !== mode)
    .map(([port, m]) => ({ port: Number(port), mode: m }))
    .sort((a, b) => a.port - b.port);
  return { mode, ports };
}

/** The mode of one inbound port. */
export function portMtls(mtls: InboundMtls, port: number): InboundMtls['mode'] {
  return mtls.ports.find((p) => p.port === port)?.mode ?? mtls.mode;
}
