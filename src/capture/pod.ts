// Capture settings a pod asks for through Istio's sidecar annotations, read from the model's Pod. Each bad value
// becomes a problem naming the pod, its file and line, and the annotation, instead of a rule that silently differs.
import type { Pod, Problem } from '../model/types.ts';
import { parseCidr } from './rule-ranges.ts';
import type { CaptureConfig, CaptureMode } from './config.ts';

/** The Istio annotations biplane honours, and the config field each one sets. */
export const CAPTURE_ANNOTATIONS = {
  includeCidrs: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeCidrs: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
} as const;

/** Istio's per-pod interception mode annotation: `REDIRECT` or `TPROXY` (`NONE`, no capture, has no rules to give). */
export const INTERCEPTION_ANNOTATION = 'sidecar.istio.io/interceptionMode';

const MODES: Readonly<Record<string, CaptureMode>> = { REDIRECT: 'redirect', TPROXY: 'tproxy' };

/** The part of a capture config a pod decides: its IPs and whatever its annotations set. */
export type PodCapture = Pick<CaptureConfig, 'ips'> &
  Partial<Pick<CaptureConfig, 'mode' | 'includeCidrs' | 'excludeCidrs' | 'excludeInboundPorts' | 'excludeOutboundPorts'>>;

/** Splits an annotation's comma-separated list, dropping blanks. */
export function splitList(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** Config values from `pod`: `ips` from `status.podIPs`, the rest from annotations that are present and valid. */
export function podCapture(pod: Pod): { capture: PodCapture; problems: Problem[] } {
  const problems: Problem[] = [];
  const at = (key: string, message: string): void => {
    const origin = { ...pod.origin, field: `metadata.annotations["${key}"]` };
    problems.push({ severity: 'error', message: `pod ${pod.namespace}/${pod.name}: ${key}: ${message}`, origin });
  };
  const cidrs = (key: string, allowStar: boolean): string[] | undefined => {
    const raw = pod.annotations[key];
    if (raw === undefined) return undefined;
    const list = splitList(raw);
    const bad = list.filter((c) => !(allowStar && c === '*') && 'error' in parseCidr(c));
    bad.forEach((c) => at(key, `'${c}' is not a valid CIDR`));
    return bad.length > 0 ? undefined : list;
  };
  const ports = (key: string): number[] | undefined => {
    const raw = pod.annotations[key];
    if (raw === undefined) return undefined;
    const list = splitList(raw);
    const bad = list.filter((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
    bad.forEach((p) => at(key, `'${p}' is not a port (1-65535)`));
    return bad.length > 0 ? undefined : list.map(Number);
  };
  const mode = (): CaptureMode | undefined => {
    const raw = pod.annotations[INTERCEPTION_ANNOTATION];
    if (raw === undefined) return undefined;
    const found = MODES[raw.trim()];
    if (!found) at(INTERCEPTION_ANNOTATION, `'${raw}' is not REDIRECT or TPROXY (NONE means no capture rules at all)`);
    return found;
  };
  const interception = mode();
  const include = cidrs(CAPTURE_ANNOTATIONS.includeCidrs, true);
  const exclude = cidrs(CAPTURE_ANNOTATIONS.excludeCidrs, false);
  const inPorts = ports(CAPTURE_ANNOTATIONS.excludeInboundPorts);
  const outPorts = ports(CAPTURE_ANNOTATIONS.excludeOutboundPorts);
  const capture: PodCapture = {
    ips: pod.ips,
    ...(interception ? { mode: interception } : {}),
    ...(include ? { includeCidrs: include } : {}),
    ...(exclude ? { excludeCidrs: exclude } : {}),
    ...(inPorts ? { excludeInboundPorts: inPorts } : {}),
    ...(outPorts ? { excludeOutboundPorts: outPorts } : {}),
  };
  return { capture, problems };
}
