// What `biplane serve` prints at start: what it serves (services, pods and their IP modes), where it listens, and how
// to connect a proxy. Pure text from the model, so it can be tested without a terminal.
import { ipModeOf } from '../model/index.ts';
import type { MeshModel } from '../model/index.ts';

/** Where the server listens and where its objects come from, as the summary names them. */
export interface SummaryInput {
  readonly model: MeshModel;
  readonly origin: string;
  /** `--manifests` folder, when serving one (the bootstrap hint needs it). */
  readonly manifests?: string;
  readonly xdsAddresses: readonly string[];
  /** The TLS xDS port's addresses (none without TLS). */
  readonly tlsAddresses?: readonly string[];
  readonly adminAddress?: string;
}

/** The start-up text, one line per service and pod, ending with how to connect a proxy. */
export function serveSummary(input: SummaryInput): string {
  const { model } = input;
  const lines = [`biplane serving ${input.origin}`, '', `services (${model.services.length}):`];
  for (const s of model.services) {
    const vips = s.vips.length > 0 ? s.vips.map((v) => v.ip).join(', ') : s.headless ? 'headless' : s.externalName ?? 'no VIP';
    const ports = s.ports.map((p) => `${p.port}/${p.protocol}`).join(' ');
    const families = s.ipFamilies.join('+') || '-';
    lines.push(`  ${s.hostname.padEnd(42)} ${families.padEnd(10)} ${vips}  [${ports}]`);
  }
  lines.push('', `pods (${model.pods.length}):`);
  for (const p of model.pods) {
    const mode = p.ips.length > 0 ? ipModeOf(p.ips) : 'no IP';
    lines.push(`  ${`${p.namespace}/${p.name}`.padEnd(32)} ${mode.padEnd(5)} ${p.ips.map((a) => a.ip).join(', ')}`);
  }
  lines.push('', `xDS (ADS, plaintext gRPC): ${input.xdsAddresses.join(', ') || 'none'}`);
  if (input.tlsAddresses?.length) lines.push(`xDS (ADS, TLS, authenticated): ${input.tlsAddresses.join(', ')}`);
  if (input.adminAddress) {
    lines.push(`admin: http://${input.adminAddress}/debug  (syncz, config_dump, registryz, problems, ready, metrics)`);
    lines.push(`web view: http://${input.adminAddress}/ui`);
  }
  const pod = model.pods.find((p) => p.ips.length > 1) ?? model.pods[0];
  const xds = input.xdsAddresses[0] ?? '127.0.0.1:15010';
  if (pod) {
    // bootstrap reads manifests; from a live cluster, the pod's manifests come from kubectl first.
    const manifests = input.manifests ?? 'cluster.yaml';
    const dump = input.manifests ? [] : ['  kubectl get nodes,pods,services,endpointslices -A -o yaml > cluster.yaml'];
    lines.push(
      '',
      'connect an Envoy sidecar (any pod above) with:',
      ...dump,
      `  node bin/biplane.js bootstrap --manifests ${manifests} --proxy ${pod.namespace}/${pod.name} --xds-address ${xds} > envoy.json`,
      '  envoy -c envoy.json',
      'or a proxyless gRPC app: GRPC_XDS_BOOTSTRAP pointing at a bootstrap whose xds_servers[0].server_uri is',
      `  ${xds} and whose node metadata has GENERATOR "grpc", NAMESPACE and INSTANCE_IPS`,
    );
  }
  lines.push('', 'Ctrl-C to stop.');
  return lines.join('\n');
}
