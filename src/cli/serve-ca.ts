// `biplane serve`'s workload CA flags: where the root lives (a folder, a Secret, the user's files) and how long issued
// certificates live. The trust domain is the security flags' `--trust-domain`, shared with the authenticator.
import { parseTtl } from '../ca/index.ts';
import type { CaSettings, CaStore } from '../ca/index.ts';
import { CA_SECRET_NAME } from '../ca/store.ts';
import { DEFAULT_TRUST_DOMAIN } from '../trust/identity.ts';

/** The usage lines of the CA flags. */
export const CA_USAGE = `  --ca-dir DIR             run the workload CA with its root kept in DIR (generated at first start: ca-cert.pem,
                           ca-key.pem mode 0600) and DIR/root-cert.pem written, the root pods trust
  --ca-secret              run the workload CA with its root kept in the Secret ${CA_SECRET_NAME} of --ca-namespace (with
                           --kubeconfig or --in-cluster); the first replica creates it, the others read it
  --ca-namespace NS        biplane's own namespace (default $POD_NAMESPACE, else biplane-system)
  --ca-cert FILE --ca-key FILE [--ca-chain FILE]
                           run the workload CA with your root or intermediate (the chain: its issuer up to the root)
  --workload-cert-ttl D    lifetime of issued certificates when the caller asks none (default 24h; s, m, h, d)
  --max-workload-cert-ttl D
                           the longest lifetime a caller may ask for (default 90d)
                           The CA answers CreateCertificate on the TLS port (--tls-cert), callers authenticated as
                           there; in a cluster it also keeps the root in a ConfigMap biplane-ca-root-cert per namespace.`;

/** The parseArgs options of the CA flags. */
export const CA_OPTIONS = {
  'ca-dir': { type: 'string' },
  'ca-secret': { type: 'boolean', default: false },
  'ca-namespace': { type: 'string' },
  'ca-cert': { type: 'string' },
  'ca-key': { type: 'string' },
  'ca-chain': { type: 'string' },
  'workload-cert-ttl': { type: 'string', default: '24h' },
  'max-workload-cert-ttl': { type: 'string', default: '90d' },
} as const;

/** The CA flags read: undefined when no root store is named, a string when they are wrong. */
export function readCaFlags(values: Readonly<Record<string, string | boolean | string[] | undefined>>): CaSettings | undefined | string {
  const text = (flag: string): string | undefined => (typeof values[flag] === 'string' ? (values[flag] as string) : undefined);
  const [dir, cert, key, chain] = [text('ca-dir'), text('ca-cert'), text('ca-key'), text('ca-chain')];
  const stores = [dir !== undefined, values['ca-secret'] === true, cert !== undefined || key !== undefined].filter(Boolean).length;
  if (stores > 1) return 'give one of --ca-dir, --ca-secret, --ca-cert/--ca-key';
  if ((cert === undefined) !== (key === undefined)) return '--ca-cert and --ca-key go together';
  if (chain !== undefined && cert === undefined) return '--ca-chain needs --ca-cert and --ca-key';
  if (values['ca-secret'] === true && values['manifests'] !== undefined) return '--ca-secret needs a cluster (--kubeconfig or --in-cluster); use --ca-dir with --manifests';
  if (stores === 0) return undefined;
  const defaultTtlSeconds = parseTtl(text('workload-cert-ttl') ?? '');
  const maxTtlSeconds = parseTtl(text('max-workload-cert-ttl') ?? '');
  if (defaultTtlSeconds === undefined || maxTtlSeconds === undefined) return '--workload-cert-ttl and --max-workload-cert-ttl are durations like 3600, 90m, 24h, 90d';
  if (defaultTtlSeconds > maxTtlSeconds) return '--workload-cert-ttl must not exceed --max-workload-cert-ttl';
  const cluster = text('kubeconfig') !== undefined ? { kubeconfig: text('kubeconfig')! } : { inCluster: true };
  const store: CaStore = dir !== undefined
    ? { kind: 'dir', dir }
    : cert !== undefined && key !== undefined
      ? { kind: 'files', cert, key, ...(chain !== undefined ? { chain } : {}) }
      : { kind: 'secret', cluster, namespace: text('ca-namespace') ?? process.env['POD_NAMESPACE'] ?? 'biplane-system' };
  const watched = values['manifests'] === undefined ? { cluster } : {};
  return { store, trustDomain: text('trust-domain') ?? DEFAULT_TRUST_DOMAIN, policy: { defaultTtlSeconds, maxTtlSeconds }, ...watched };
}
