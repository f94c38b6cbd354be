// The mutating webhook's decision, pure: an AdmissionReview v1 in, the AdmissionReview to answer (or why the review
// is malformed). A Pod CREATE gets exactly what `biplane inject` does to a Pod (`injectObject`), as a JSON Patch.
import { jsonPatch } from './json-patch.ts';
import type { InjectOptions } from './containers.ts';
import { InjectError } from './settings.ts';
import { injectObject } from './workload.ts';

type Json = Record<string, unknown>;

/** What to answer: the response review, or a malformed request's message (HTTP 400). `summary` is for the log. */
export type AdmissionOutcome =
  | { readonly ok: true; readonly review: Json; readonly summary: string }
  | { readonly ok: false; readonly message: string };

const API_VERSION = 'admission.k8s.io/v1';

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The request's fields, or what is wrong with them. */
function readRequest(body: unknown): { uid: string; request: Json } | string {
  if (!isRecord(body)) return 'the body is not an AdmissionReview object';
  if (body['apiVersion'] !== API_VERSION || body['kind'] !== 'AdmissionReview') {
    return `expected apiVersion ${API_VERSION}, kind AdmissionReview; got ${JSON.stringify(body['apiVersion'])}, ${JSON.stringify(body['kind'])}`;
  }
  const request = body['request'];
  if (!isRecord(request)) return 'the AdmissionReview has no request';
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') return 'request.uid is missing';
  return { uid, request };
}

function isPodCreate(request: Json): boolean {
  const kind = isRecord(request['kind']) ? request['kind'] : {};
  const sub = request['subResource'];
  return kind['kind'] === 'Pod' && (kind['group'] ?? '') === '' && request['operation'] === 'CREATE' && (sub === undefined || sub === '');
}

/** `namespace/name` of the pod, its `generateName` prefix with `*` for pods a controller names. */
function podLabel(pod: Json, request: Json): string {
  const meta = isRecord(pod['metadata']) ? pod['metadata'] : {};
  const ns = typeof request['namespace'] === 'string' && request['namespace'] !== '' ? request['namespace'] : meta['namespace'];
  const name = typeof meta['name'] === 'string' && meta['name'] !== '' ? meta['name'] : `${String(meta['generateName'] ?? '')}*`;
  return `${String(ns ?? '?')}/${name}`;
}

/** Answers one AdmissionReview v1 (the parsed request body). */
export function admit(body: unknown, options: InjectOptions): AdmissionOutcome {
  const read = readRequest(body);
  if (typeof read === 'string') return { ok: false, message: read };
  const { uid, request } = read;
  const answer = (response: Json, summary: string): AdmissionOutcome => ({
    ok: true,
    review: { apiVersion: API_VERSION, kind: 'AdmissionReview', response: { uid, ...response } },
    summary,
  });
  if (!isPodCreate(request)) return answer({ allowed: true }, 'not a Pod CREATE; allowed unchanged');
  const object = request['object'];
  if (!isRecord(object)) return { ok: false, message: 'request.object is missing for a Pod CREATE' };
  const pod: Json = { ...object, kind: 'Pod' };
  const label = podLabel(pod, request);
  let outcome: ReturnType<typeof injectObject>;
  try {
    outcome = injectObject(pod, options);
  } catch (err) {
    if (!(err instanceof InjectError)) throw err;
    return answer({ allowed: false, status: { code: 400, reason: 'BadRequest', message: `biplane injection: ${err.message}` } }, `${label}: denied: ${err.message}`);
  }
  if (outcome.outcome !== 'injected') {
    const reason = outcome.outcome === 'skipped' ? outcome.reason : 'not a workload';
    return answer({ allowed: true }, `${label}: skipped: ${reason}`);
  }
  const patch = jsonPatch(pod, outcome.object);
  if (patch.length === 0) return answer({ allowed: true }, `${label}: already injected`);
  const warnings = outcome.warnings.length > 0 ? { warnings: [...outcome.warnings] } : {};
  const encoded = Buffer.from(JSON.stringify(patch)).toString('base64');
  return answer({ allowed: true, patchType: 'JSONPatch', patch: encoded, ...warnings }, `${label}: injected`);
}
