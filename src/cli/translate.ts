// `biplane translate`: runs the same stages the server runs (files → model → translate) for one pod, offline, and
// prints what its sidecar would get: encoded by the real Envoy protos, printed as canonical proto3 JSON.
import { buildProxyConfig, formatProblem, loadMesh } from '../pipeline/index.ts';
import type { EnvoyResources } from '../translate/index.ts';
import { configDump, renderResources } from '../translate/render.ts';
import { stringify } from 'yaml';
import type { Command } from './main.ts';
import { DEFAULT_ROOT_NAMESPACE } from '../model/peer-auth.ts';
import { commandFlags, usageExit } from './args.ts';

const USAGE = `usage: biplane translate --manifests DIR --proxy NAMESPACE/POD [flags]

Prints the Envoy resources biplane serves to the sidecar of one pod.

flags:
  --manifests DIR              folder (or file) of Kubernetes/Istio manifests
  --proxy NAMESPACE/POD        the pod whose sidecar asks
  --strategy shared|per-family how dual-stack services are forwarded (default shared)
  --output resources|config-dump
                               {listeners,clusters,routes,endpoints} or Envoy's /config_dump shape (default resources)
  --format json|yaml           (default json)
  --dns-capture                the pod's DNS is captured by \`biplane agent\` (node metadata DNS_CAPTURE and
                               DNS_AUTO_ALLOCATE): auto-allocated ServiceEntry VIPs get listeners instead of SNI
  --sds                        the sidecar has certificates over SDS (node metadata SDS, as \`biplane bootstrap
                               --sds-socket\` says): auto-mTLS outbound, PeerAuthentication modes inbound
  --root-namespace NS          where mesh-wide PeerAuthentications live (default istio-system)
  --help`;

/** `translate` command. */
export const command: Command = {
  summary: 'print the Envoy resources one pod’s sidecar gets',
  async run(argv) {
    const values = commandFlags('translate', USAGE, argv, {
      manifests: { type: 'string' },
      proxy: { type: 'string' },
      strategy: { type: 'string', default: 'shared' },
      output: { type: 'string', default: 'resources' },
      format: { type: 'string', default: 'json' },
      'dns-capture': { type: 'boolean', default: false },
      sds: { type: 'boolean', default: false },
      'root-namespace': { type: 'string', default: DEFAULT_ROOT_NAMESPACE },
    });
    if (typeof values === 'number') return values;
    const { manifests, proxy, strategy, output, format } = values;
    const usage = !manifests || !proxy ? 'need --manifests and --proxy'
      : strategy !== 'shared' && strategy !== 'per-family' ? `unknown --strategy ${strategy}`
      : output !== 'resources' && output !== 'config-dump' ? `unknown --output ${output}`
      : format !== 'json' && format !== 'yaml' ? `unknown --format ${format}` : undefined;
    if (usage || !manifests || !proxy) {
      return usageExit('translate', USAGE, { usage: String(usage) });
    }
    const mesh = await loadMesh(manifests, proxy);
    if ('error' in mesh) {
      console.error(`biplane translate: ${mesh.error}`);
      return 1;
    }
    mesh.warnings.forEach((w) => console.error(w));
    const dns = values['dns-capture'] ? { dnsCapture: true, dnsAutoAllocate: true } : {};
    const sds = values.sds ? { sds: true } : {};
    const rootNamespace = values['root-namespace'];
    const built = buildProxyConfig(mesh.index, { ...mesh.proxy, ...dns, ...sds }, { strategy: strategy === 'per-family' ? 'per-family' : 'shared', rootNamespace });
    [...built.leftOut, ...built.problems].forEach((p) => console.error(formatProblem(p)));
    if (!built.resources) return 1;
    const resources = built.resources as EnvoyResources;
    const value = output === 'config-dump' ? configDump(resources) : renderResources(resources);
    process.stdout.write(format === 'yaml' ? stringify(value) : `${JSON.stringify(value, null, 2)}\n`);
    return 0;
  },
};
