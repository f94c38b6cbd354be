// The two containers injection adds, as plain Kubernetes objects: `biplane-init` runs `biplane capture --apply` with
// the pod's IPs from the downward API, and `biplane-proxy` (a native sidecar: an init container that keeps running)
// runs `biplane agent`, which reads the pod from its environment, writes Envoy's bootstrap and runs Envoy.
import path from 'node:path';
import { DEFAULT_TOKEN_FILE } from '../agent/certificates.ts';
import { ROOT_CONFIGMAP } from '../ca/root-configmaps.ts';
import type { Interception } from './settings.ts';

/** The capture init container's name; injection owns it and replaces it on every run (so a rerun is a no-op). */
export const INIT_NAME = 'biplane-init';
/** The sidecar's name; owned and replaced like INIT_NAME. */
export const PROXY_NAME = 'biplane-proxy';

/** The agent's readiness port, probed before the pod's other containers start. */
export const READINESS_PORT = 15021;
/** Envoy's Prometheus listener in the bootstrap, declared as a container port for scrapers. */
export const STATS_PORT = 15090;

/** Cluster-wide choices: the proxy image, where biplane's xDS is, the rule flavour, the proxy's uid and gid. */
export interface InjectOptions {
  /** An image with `biplane` and `envoy` on PATH, and iptables / nft / ip for the init container. */
  readonly image: string;
  /** biplane's TLS port: the sidecar fetches xDS over TLS there (`--xds-tls`), with the pod's certificate. */
  readonly xdsAddress: string;
  /** biplane's workload CA, where the agent gets the pod's certificate with its token: the xDS address (as Istio's CA_ADDR defaults to its discovery address). */
  readonly caAddress: string;
  readonly backend: 'iptables' | 'nftables';
  readonly proxyUid: number;
}

/** The defaults match deploy/: the `biplane` Service in `biplane-system`, and the Dockerfile's `proxy` target. */
export const DEFAULT_INJECT: InjectOptions = {
  image: 'biplane-proxy:0.1.0',
  xdsAddress: 'biplane.biplane-system.svc:15012',
  caAddress: 'biplane.biplane-system.svc:15012',
  backend: 'iptables',
  proxyUid: 1337,
};

/** The projected ServiceAccount token volume (audience istio-ca), mounted where the agent reads its token by default. */
export const TOKEN_VOLUME = 'biplane-token';
/** The volume of ConfigMap biplane-ca-root-cert (the workload CA's root, which also verifies biplane's TLS port). */
export const ROOT_VOLUME = 'biplane-ca-root';
/** Where ROOT_VOLUME is mounted; the root is `root-cert.pem` in it. */
export const ROOT_DIR = '/var/run/secrets/biplane/ca';

/** The emptyDir the agent writes Envoy's bootstrap into (the sidecar's root filesystem is read-only). */
export const WORK_VOLUME = 'biplane-envoy';
/** Where WORK_VOLUME is mounted in the sidecar (BIPLANE_WORK_DIR). */
export const WORK_DIR = '/var/run/biplane';

/** Injection options from flag text over the defaults (`biplane inject` and `serve`'s webhook), or what is wrong. */
export function injectOptions(raw: { readonly image?: string; readonly xdsAddress?: string; readonly backend?: string }): InjectOptions | string {
  const { image = DEFAULT_INJECT.image, xdsAddress = DEFAULT_INJECT.xdsAddress, backend = DEFAULT_INJECT.backend } = raw;
  if (backend !== 'iptables' && backend !== 'nftables') return `backend must be iptables or nftables, not ${backend}`;
  if (!/^(\[[^\]]+\]|[^:[\]]+):\d{1,5}$/.test(xdsAddress)) return `xds-address must be HOST:PORT, not ${xdsAddress}`;
  if (image.trim() === '') return 'image must not be empty';
  return { ...DEFAULT_INJECT, image, xdsAddress, caAddress: xdsAddress, backend };
}

type Json = Record<string, unknown>;

const fieldEnv = (name: string, fieldPath: string): Json => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** What `biplane agent` reads from its environment: who and where the pod is, biplane's xDS, its capture mode. */
export function proxyEnv(interception: Interception, options: InjectOptions): Json[] {
  return [
    fieldEnv('POD_NAME', 'metadata.name'),
    fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
    fieldEnv('POD_IPS', 'status.podIPs'),
    fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    { name: 'BIPLANE_XDS_ADDRESS', value: options.xdsAddress },
    { name: 'BIPLANE_INTERCEPTION', value: interception },
    { name: 'BIPLANE_WORK_DIR', value: WORK_DIR },
  ];
}

/**
 * The sidecar's command: the agent, the pod's facts from the environment, its certificate from biplane's CA with the
 * projected token and the mounted root, and xDS over TLS with that certificate. Without capture, DNS never reaches it.
 */
export function sidecarCommand(interception: Interception, options: InjectOptions): string[] {
  const security = ['--ca-address', options.caAddress, '--ca-root', `${ROOT_DIR}/root-cert.pem`, '--xds-tls'];
  return ['biplane', 'agent', ...(interception === 'NONE' ? ['--no-dns'] : []), ...security];
}

/** The pod volumes the sidecar needs: its WORK_DIR, its ServiceAccount token for the CA, the CA's root. */
export function sidecarVolumes(): Json[] {
  return [
    { name: WORK_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
    { name: TOKEN_VOLUME, projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: path.basename(DEFAULT_TOKEN_FILE) } }] } },
    { name: ROOT_VOLUME, configMap: { name: ROOT_CONFIGMAP } },
  ];
}

/** Names of the volumes injection owns (replaced on every run). */
export const SIDECAR_VOLUMES: readonly string[] = [WORK_VOLUME, TOKEN_VOLUME, ROOT_VOLUME];

/** The init container that installs the pod's capture rules (DNS to the agent too), both families, before anything else. */
export function initContainer(captureFlags: readonly string[], options: InjectOptions): Json {
  const uid = String(options.proxyUid);
  return {
    name: INIT_NAME,
    image: options.image,
    command: ['biplane', 'capture', '--apply', '--ips', '$(POD_IPS)', '--backend', options.backend, '--proxy-uid', uid, '--proxy-gid', uid, '--capture-dns', ...captureFlags],
    env: [fieldEnv('POD_IPS', 'status.podIPs')],
    resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
    securityContext: {
      runAsUser: 0,
      runAsGroup: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] },
    },
  };
}

/**
 * The proxy's identity. Under TPROXY Envoy's transparent listeners and original-source upstreams need NET_ADMIN,
 * which only a root process keeps, so (as in Istio) it runs as uid 0 in the proxy's group; capture exempts that gid.
 */
function proxySecurity(interception: Interception, options: InjectOptions): Json {
  const tproxy = interception === 'TPROXY';
  return {
    runAsUser: tproxy ? 0 : options.proxyUid,
    runAsGroup: options.proxyUid,
    runAsNonRoot: !tproxy,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: tproxy ? { add: ['NET_ADMIN'], drop: ['ALL'] } : { drop: ['ALL'] },
  };
}

/** The agent and its Envoy, as a native sidecar (`restartPolicy: Always`), so Jobs complete and init containers are meshed. */
export function proxyContainer(interception: Interception, options: InjectOptions): Json {
  const probe = { httpGet: { path: '/healthz/ready', port: READINESS_PORT }, periodSeconds: 2, failureThreshold: 30 };
  return {
    name: PROXY_NAME,
    image: options.image,
    restartPolicy: 'Always',
    command: sidecarCommand(interception, options),
    env: proxyEnv(interception, options),
    ports: [{ name: 'http-envoy-prom', containerPort: STATS_PORT }],
    volumeMounts: [
      { name: WORK_VOLUME, mountPath: WORK_DIR },
      { name: TOKEN_VOLUME, mountPath: path.dirname(DEFAULT_TOKEN_FILE), readOnly: true },
      { name: ROOT_VOLUME, mountPath: ROOT_DIR, readOnly: true },
    ],
    startupProbe: probe,
    readinessProbe: { ...probe, failureThreshold: 3 },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '1Gi' } },
    securityContext: proxySecurity(interception, options),
  };
}
