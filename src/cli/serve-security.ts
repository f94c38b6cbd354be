// `biplane serve`'s security flags: the TLS xDS port and its certificate files, which plaintext addresses stay, how
// callers are authenticated (trust domain, token audience, where tokens are reviewed) and the admin token. Read in two
// steps: `readSecurityFlags` checks the flags alone (no file is touched), `securityOptions` reads the files.
import { readFileSync } from 'node:fs';
import { isLoopbackHost, splitAddress } from '../server/admin.ts';
import { DEFAULT_TLS_ADDRESSES } from '../server/secure-port.ts';
import type { TlsPortOptions } from '../server/secure-port.ts';
import { kubeTokenReviewer, loadKubeConfig } from '../sources/kube/index.ts';
import { WorkloadAuthenticator } from '../trust/authenticator.ts';
import { DEFAULT_TRUST_DOMAIN } from '../trust/identity.ts';
import { defaultServingNames, type ServingNames } from '../ca/serving.ts';

/** The usage lines of the security flags. */
export const SECURITY_USAGE = `  --tls-cert FILE          serve xDS over TLS too, with this certificate chain (PEM); re-read when it changes
  --tls-key FILE           its private key (PEM)
  --client-ca FILE         CA of client certificates (spiffe://<trust domain>/ns/<ns>/sa/<sa> URI SAN); without it
                           only ServiceAccount tokens authenticate on the TLS port (default with a workload CA and
                           no --tls-cert: the CA's root)
  --tls-address ADDR       TLS xDS listen address, repeatable (default ${DEFAULT_TLS_ADDRESSES.join(' and ')}); with a workload
                           CA and no --tls-cert, serve issues its own serving certificate (renewed at half its 24 h)
  --tls-dns-name NAME      a DNS name of that issued certificate, repeatable (default biplane.<ns>.svc and
                           biplane.<ns>.svc.cluster.local, ns the --ca-namespace; localhost and loopback always)
  --plaintext none|loopback|any
                           which plaintext xDS addresses are allowed (default: loopback when TLS is on, else any)
  --trust-domain NAME      trust domain of workload identities (default ${DEFAULT_TRUST_DOMAIN})
  --token-audience NAME    audience ServiceAccount tokens must carry (default istio-ca)
  --token-review-kubeconfig FILE
                           cluster whose TokenReview API checks tokens (default: the watched cluster; with
                           --manifests and without this flag, tokens are refused)
  --admin-token FILE       bearer token (file content) every admin page but /ready requires; needed when
                           --admin-address is not loopback`;

/** The parseArgs options of the security flags. */
export const SECURITY_OPTIONS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'client-ca': { type: 'string' },
  'tls-address': { type: 'string', multiple: true },
  'tls-dns-name': { type: 'string', multiple: true },
  plaintext: { type: 'string' },
  'trust-domain': { type: 'string', default: DEFAULT_TRUST_DOMAIN },
  'token-audience': { type: 'string', default: 'istio-ca' },
  'token-review-kubeconfig': { type: 'string' },
  'admin-token': { type: 'string' },
} as const;

/** The TLS port from certificate files. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
  readonly addresses: readonly string[];
}

/** The TLS port with a serving certificate the workload CA issues for these names (files made at start). */
export interface TlsIssued {
  readonly issue: ServingNames;
  readonly clientCaFile?: string;
  readonly addresses: readonly string[];
}

/** The security flags, checked but with no file read yet. */
export interface SecurityFlags {
  readonly tls?: TlsFiles | TlsIssued;
  readonly plaintext: 'none' | 'loopback' | 'any';
  readonly trustDomain: string;
  readonly audience: string;
  readonly tokenReviewKubeconfig?: string;
  readonly adminTokenFile?: string;
}

type Values = { [K in keyof typeof SECURITY_OPTIONS]?: (typeof SECURITY_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** Checks the security flags against each other and the plaintext and admin addresses; a string is the error. */
export function readSecurityFlags(
  values: Values,
  xdsAddresses: readonly string[] | undefined,
  adminAddress: string | false,
  caNamespace?: string,
): SecurityFlags | string {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) return 'give --tls-cert and --tls-key together';
  const names = values['tls-dns-name'];
  if (cert !== undefined && names !== undefined) return '--tls-dns-name names the certificate serve issues itself: not with --tls-cert';
  const issued = cert === undefined && caNamespace !== undefined && (values['tls-address'] !== undefined || names !== undefined);
  const tlsOn = cert !== undefined || issued;
  if (!tlsOn && (values['client-ca'] !== undefined || values['tls-address'] !== undefined || names !== undefined)) {
    return '--client-ca, --tls-address and --tls-dns-name need --tls-cert and --tls-key, or a workload CA (--ca-dir, --ca-secret, --ca-cert) to issue the serving certificate';
  }
  const plaintext = values.plaintext ?? (tlsOn ? 'loopback' : 'any');
  if (plaintext !== 'none' && plaintext !== 'loopback' && plaintext !== 'any') return `--plaintext must be none, loopback or any, not ${plaintext}`;
  if (plaintext === 'none' && !tlsOn) return '--plaintext none leaves no xDS port: give --tls-cert and --tls-key';
  if (plaintext === 'none' && xdsAddresses !== undefined) return '--plaintext none and --xds-address contradict each other';
  if (plaintext === 'loopback') {
    const open = (xdsAddresses ?? []).find((a) => !a.startsWith('unix:') && !isLoopbackHost(splitAddress(a).host));
    if (open) return `--xds-address ${open} is not loopback, and plaintext xDS is loopback-only${tlsOn ? ' beside TLS' : ''}; give --plaintext any to serve it anyway`;
  }
  const adminToken = values['admin-token'];
  if (adminAddress !== false && adminToken === undefined && !isLoopbackHost(splitAddress(adminAddress).host)) {
    return `--admin-address ${adminAddress} is not loopback: its pages reveal the mesh, so give --admin-token FILE too`;
  }
  return {
    ...(tlsOn ? { tls: tlsFlags(values, issued ? servingNames(caNamespace as string, names) : undefined) } : {}),
    plaintext,
    trustDomain: values['trust-domain'] ?? DEFAULT_TRUST_DOMAIN,
    audience: values['token-audience'] ?? 'istio-ca',
    ...(values['token-review-kubeconfig'] !== undefined ? { tokenReviewKubeconfig: values['token-review-kubeconfig'] } : {}),
    ...(adminToken !== undefined ? { adminTokenFile: adminToken } : {}),
  };
}

/** The issued certificate's names: the given DNS names (else the Service's in `namespace`), always with loopback. */
function servingNames(namespace: string, dns: readonly string[] | undefined): ServingNames {
  const defaults = defaultServingNames(namespace);
  return dns ? { dns: [...new Set([...dns, 'localhost'])], ips: defaults.ips } : defaults;
}

/** The TLS port's flags: from files, or issued for `issue`. */
function tlsFlags(values: Values, issue: ServingNames | undefined): TlsFiles | TlsIssued {
  const common = { ...(values['client-ca'] !== undefined ? { clientCaFile: values['client-ca'] } : {}), addresses: values['tls-address'] ?? DEFAULT_TLS_ADDRESSES };
  return issue ? { issue, ...common } : { certFile: values['tls-cert'] as string, keyFile: values['tls-key'] as string, ...common };
}

/** The server options the security flags give, files read; throws a clear error when a file cannot be used. */
export function securityOptions(flags: SecurityFlags & { readonly tls?: TlsFiles }, cluster: { kubeconfig?: string; inCluster?: boolean } | undefined): { tls?: TlsPortOptions; adminToken?: string } {
  let adminToken: string | undefined;
  if (flags.adminTokenFile !== undefined) {
    adminToken = readFileSync(flags.adminTokenFile, 'utf8').trim();
    if (adminToken.length < 16) throw new Error(`--admin-token ${flags.adminTokenFile}: the token must be at least 16 characters`);
  }
  if (!flags.tls) return adminToken !== undefined ? { adminToken } : {};
  const reviewFrom = flags.tokenReviewKubeconfig !== undefined ? { kubeconfig: flags.tokenReviewKubeconfig } : cluster;
  const authenticator = new WorkloadAuthenticator({
    trustDomain: flags.trustDomain,
    audience: flags.audience,
    ...(reviewFrom ? { tokenReviewer: kubeTokenReviewer(loadKubeConfig(reviewFrom)) } : {}),
    noReviewerReason: 'biplane serves manifests and has no cluster to review tokens (see --token-review-kubeconfig)',
  });
  return { tls: { ...flags.tls, authenticator }, ...(adminToken !== undefined ? { adminToken } : {}) };
}
