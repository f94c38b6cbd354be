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

/** The usage lines of the security flags. */
export const SECURITY_USAGE = `  --tls-cert FILE          serve xDS over TLS too, with this certificate chain (PEM); re-read when it changes
  --tls-key FILE           its private key (PEM)
  --client-ca FILE         CA of client certificates (spiffe://<trust domain>/ns/<ns>/sa/<sa> URI SAN); without it
                           only ServiceAccount tokens authenticate on the TLS port
  --tls-address ADDR       TLS xDS listen address, repeatable (default ${DEFAULT_TLS_ADDRESSES.join(' and ')})
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
  plaintext: { type: 'string' },
  'trust-domain': { type: 'string', default: DEFAULT_TRUST_DOMAIN },
  'token-audience': { type: 'string', default: 'istio-ca' },
  'token-review-kubeconfig': { type: 'string' },
  'admin-token': { type: 'string' },
} as const;

/** The security flags, checked but with no file read yet. */
export interface SecurityFlags {
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string; readonly addresses: readonly string[] };
  readonly plaintext: 'none' | 'loopback' | 'any';
  readonly trustDomain: string;
  readonly audience: string;
  readonly tokenReviewKubeconfig?: string;
  readonly adminTokenFile?: string;
}

type Values = { [K in keyof typeof SECURITY_OPTIONS]?: (typeof SECURITY_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** Checks the security flags against each other and the plaintext and admin addresses; a string is the error. */
export function readSecurityFlags(values: Values, xdsAddresses: readonly string[] | undefined, adminAddress: string | false): SecurityFlags | string {
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  if ((cert === undefined) !== (key === undefined)) return 'give --tls-cert and --tls-key together';
  const tlsOn = cert !== undefined;
  if (!tlsOn && (values['client-ca'] !== undefined || values['tls-address'] !== undefined)) return '--client-ca and --tls-address need --tls-cert and --tls-key';
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
    ...(tlsOn ? { tls: { certFile: cert, keyFile: key as string, ...(values['client-ca'] !== undefined ? { clientCaFile: values['client-ca'] } : {}), addresses: values['tls-address'] ?? DEFAULT_TLS_ADDRESSES } } : {}),
    plaintext,
    trustDomain: values['trust-domain'] ?? DEFAULT_TRUST_DOMAIN,
    audience: values['token-audience'] ?? 'istio-ca',
    ...(values['token-review-kubeconfig'] !== undefined ? { tokenReviewKubeconfig: values['token-review-kubeconfig'] } : {}),
    ...(adminToken !== undefined ? { adminTokenFile: adminToken } : {}),
  };
}

/** The server options the security flags give, files read; throws a clear error when a file cannot be used. */
export function securityOptions(flags: SecurityFlags, cluster: { kubeconfig?: string; inCluster?: boolean } | undefined): { tls?: TlsPortOptions; adminToken?: string } {
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
