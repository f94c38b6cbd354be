// The parts of the admin server's `/debug/syncz` JSON the inspection commands read, read defensively: the page is
// another process's output, so a missing or odd field becomes "unknown", never a crash.

/** One xDS type of one stream, as syncz shows it. */
export interface SynczType {
  readonly type: string;
  readonly status: string;
  readonly error?: string;
  readonly lastPush?: string;
}

/** One connected proxy (node id plus node content) with its streams. */
export interface SynczProxy {
  readonly nodeId: string;
  readonly key: string;
  readonly type?: string;
  readonly namespace?: string;
  readonly pod?: string;
  readonly ipMode?: string;
  readonly ips: readonly string[];
  readonly rejected: boolean;
  readonly streams: readonly { readonly kind: string; readonly types: readonly SynczType[] }[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const arr = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {});

function readType(v: unknown): SynczType {
  const o = obj(v);
  const error = str(o['error']);
  const lastPush = str(o['lastPush']);
  return {
    type: str(o['type']) ?? '?',
    status: str(o['status']) ?? 'UNKNOWN',
    ...(error !== undefined ? { error } : {}),
    ...(lastPush !== undefined ? { lastPush } : {}),
  };
}

function readProxy(v: unknown): SynczProxy {
  const o = obj(v);
  const opt = (k: 'type' | 'namespace' | 'pod' | 'ipMode') => {
    const s = str(o[k]);
    return s !== undefined ? { [k]: s } : {};
  };
  return {
    nodeId: str(o['nodeId']) ?? '',
    key: str(o['key']) ?? '',
    ...opt('type'),
    ...opt('namespace'),
    ...opt('pod'),
    ...opt('ipMode'),
    ips: arr(o['ips']).filter((x): x is string => typeof x === 'string'),
    rejected: o['rejected'] === true,
    streams: arr(o['streams']).map((s) => ({ kind: str(obj(s)['kind']) ?? '?', types: arr(obj(s)['types']).map(readType) })),
  };
}

/** The connected proxies of a syncz page. */
export function readSyncz(page: unknown): SynczProxy[] {
  return arr(obj(page)['proxies']).map(readProxy);
}

/** The name a person types for a proxy, as istioctl shows it: `pod.namespace`, else the node id. */
export function proxyName(p: SynczProxy): string {
  return p.pod !== undefined && p.namespace !== undefined ? `${p.pod}.${p.namespace}` : p.nodeId;
}
