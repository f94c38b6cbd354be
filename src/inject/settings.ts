// What one pod asks of injection, read from its template's labels and annotations: whether to inject at all, and
// the `biplane capture` flags its Istio `traffic.sidecar.istio.io/*` and interception annotations translate to.
import { parseCaptureFlags } from '../capture/flags.ts';
import { DEFAULT_CAPTURE, validateCaptureConfig } from '../capture/config.ts';
import { CAPTURE_ANNOTATIONS, INTERCEPTION_ANNOTATION } from '../capture/pod.ts';

/** Istio's opt-out: `sidecar.istio.io/inject: "false"` as a label (current Istio) or annotation (older Istio). */
export const INJECT_KEY = 'sidecar.istio.io/inject';

/** The capture flag each honoured Istio traffic annotation becomes. */
export const ANNOTATION_FLAGS: Readonly<Record<string, string>> = {
  [CAPTURE_ANNOTATIONS.includeCidrs]: '--include-cidrs',
  [CAPTURE_ANNOTATIONS.excludeCidrs]: '--exclude-cidrs',
  [CAPTURE_ANNOTATIONS.excludeInboundPorts]: '--exclude-inbound-ports',
  [CAPTURE_ANNOTATIONS.excludeOutboundPorts]: '--exclude-outbound-ports',
};

/** How the pod's traffic reaches its sidecar; NONE means no capture rules (no init container). */
export type Interception = 'REDIRECT' | 'TPROXY' | 'NONE';

/** One pod template's injection settings, or why it is left alone. */
export type PodSettings =
  | { readonly skip: string }
  | {
      readonly interception: Interception;
      /** `biplane capture` flags from annotations, after `--ips`/`--apply`, in annotation-name order. */
      readonly captureFlags: readonly string[];
      readonly warnings: readonly string[];
    };

/** An annotation value that `biplane capture` would refuse; the message names the annotation and the value. */
export class InjectError extends Error {}

function interceptionOf(annotations: Readonly<Record<string, string>>): Interception {
  const raw = annotations[INTERCEPTION_ANNOTATION];
  if (raw === undefined) return 'REDIRECT';
  const mode = raw.trim().toUpperCase();
  if (mode === 'REDIRECT' || mode === 'TPROXY' || mode === 'NONE') return mode;
  throw new InjectError(`${INTERCEPTION_ANNOTATION}: '${raw}' is not REDIRECT, TPROXY or NONE`);
}

/** Reads `labels` and `annotations` of a pod template into its settings; throws InjectError on a bad value. */
export function podSettings(labels: Readonly<Record<string, string>>, annotations: Readonly<Record<string, string>>): PodSettings {
  const optOut = labels[INJECT_KEY] ?? annotations[INJECT_KEY];
  if (optOut !== undefined && ['false', 'n', 'no', 'off'].includes(optOut.trim().toLowerCase())) {
    return { skip: `${INJECT_KEY}: "${optOut}"` };
  }
  const interception = interceptionOf(annotations);
  const captureFlags: string[] = interception === 'TPROXY' ? ['--mode', 'tproxy'] : [];
  const warnings: string[] = [];
  for (const key of Object.keys(annotations).sort()) {
    const flag = ANNOTATION_FLAGS[key];
    const value = annotations[key]?.trim() ?? '';
    if (flag) {
      checkFlag(key, flag, value);
      if (value !== '') captureFlags.push(flag, value);
    } else if (key.startsWith('traffic.sidecar.istio.io/')) {
      warnings.push(`${key} is not supported by biplane capture; ignored`);
    }
  }
  return { interception, captureFlags, warnings };
}

/** Runs one annotation's flag through capture's own parser and checks, so injection refuses what capture would. */
function checkFlag(key: string, flag: string, value: string): void {
  if (value === '') return;
  const ips = '198.18.0.1,2001:db8::1';
  let messages: string[];
  try {
    const { explicit } = parseCaptureFlags(['--ips', ips, flag, value]);
    const ipList = explicit.ips ?? [];
    messages = validateCaptureConfig({ ...DEFAULT_CAPTURE, ...explicit, ips: ipList }).map((p) => p.message);
  } catch (err) {
    messages = [(err as Error).message];
  }
  if (messages.length > 0) throw new InjectError(`${key}: ${messages.join('; ')}`);
}
