// Shared parts of the `biplane serve --kubeconfig` end-to-end tests: a fake cluster (the list/watch fake API server of
// test/kube) holding one dual-stack TCP service, its kubeconfig on disk, `biplane serve` as a child process, and a
// raw ADS sidecar that ACKs everything it receives and remembers it, so tests can ask what reached the proxy.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeMessage, TypeUrl } from '../../src/xds/index.ts';
import { FakeApiServer } from '../kube/fake-apiserver.ts';
import { openSotw } from '../xds/raw-client.ts';
import type { RawStream, SotwResponse } from '../xds/raw-client.ts';

type Json = Record<string, unknown>;

/** The namespace of the service and of the sidecar. */
export const NS = 'e2e';
/** The service every test looks at. */
export const HOST = `echo.${NS}.svc.cluster.local`;
/** Its one TCP port (port name `tcp-echo`), and the pods' port behind it. */
export const PORT = 9000;
export const TARGET_PORT = 9090;
/** The service's VIPs, IPv4 primary (ipFamilies [IPv4, IPv6]). */
export const VIPS = ['10.96.0.20', 'fd00:10:96::14'] as const;
/** The outbound cluster (and EDS resource) of the service port. */
export const CLUSTER = `outbound|${PORT}||${HOST}`;

/** A dual-stack pod of the service: name and podIPs, primary first. */
export interface EchoPod {
  readonly name: string;
  readonly ips: readonly [string, string];
}

/** The pod the cluster starts with, and one tests add and remove. */
export const POD_A: EchoPod = { name: 'echo-a', ips: ['10.244.1.5', 'fd00:10:244:1::5'] };
export const POD_B: EchoPod = { name: 'echo-b', ips: ['10.244.2.6', 'fd00:10:244:2::6'] };

/** The IPs the sidecar claims (not a pod of the cluster): dual-stack, IPv4 first. */
export const CLIENT_IPS = ['10.244.9.10', 'fd00:10:244:9::10'] as const;
/** The dual-stack sidecar node the tests connect as (Istio node id, INSTANCE_IPS as a protobuf Struct value). */
export const NODE = {
  id: `sidecar~${CLIENT_IPS[0]}~client.${NS}~${NS}.svc.cluster.local`,
  metadata: { fields: { NAMESPACE: { stringValue: NS }, INSTANCE_IPS: { stringValue: CLIENT_IPS.join(',') } } },
};

function echoService(): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: NS },
    spec: {
      selector: { app: 'echo' },
      type: 'ClusterIP',
      clusterIP: VIPS[0],
      clusterIPs: [...VIPS],
      ipFamilies: ['IPv4', 'IPv6'],
      ipFamilyPolicy: 'RequireDualStack',
      ports: [{ name: 'tcp-echo', port: PORT, targetPort: TARGET_PORT, protocol: 'TCP' }],
    },
  };
}

function echoPod(p: EchoPod): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name, namespace: NS, labels: { app: 'echo' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'echo', image: 'example/echo:1', ports: [{ containerPort: TARGET_PORT }] }] },
    status: { phase: 'Running', podIP: p.ips[0], podIPs: p.ips.map((ip) => ({ ip })), conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** The two per-family EndpointSlices of the service, as the EndpointSlice controller writes them for `pods`. */
function echoSlices(pods: readonly EchoPod[]): Json[] {
  return (['IPv4', 'IPv6'] as const).map((family, i) => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `echo-${family.toLowerCase()}`, namespace: NS, labels: { 'kubernetes.io/service-name': 'echo' } },
    addressType: family,
    ports: [{ name: 'tcp-echo', port: TARGET_PORT, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({
      addresses: [p.ips[i]],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-a',
      targetRef: { kind: 'Pod', namespace: NS, name: p.name },
    })),
  }));
}

/** The fake API server seeded with the echo service and POD_A, and a kubeconfig file pointing at it. */
export class KubeCluster {
  #pods: readonly EchoPod[] = [];

  private constructor(readonly fake: FakeApiServer, readonly dir: string, readonly kubeconfig: string) {}

  /** Starts the fake on 127.0.0.1, seeds it and writes its kubeconfig to a temp folder. */
  static async start(): Promise<KubeCluster> {
    const fake = await FakeApiServer.start({ host: '127.0.0.1' });
    const dir = await mkdtemp(path.join(tmpdir(), 'biplane-kube-e2e-'));
    const kubeconfig = path.join(dir, 'kubeconfig.yaml');
    await writeFile(kubeconfig, fake.kubeconfigYaml());
    const cluster = new KubeCluster(fake, dir, kubeconfig);
    fake.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    fake.apply({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a', labels: { 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' } },
      status: { addresses: [{ type: 'InternalIP', address: '192.0.2.1' }, { type: 'InternalIP', address: '2001:db8::1' }] },
    });
    fake.apply(echoService());
    cluster.setPods([POD_A]);
    return cluster;
  }

  /** Makes the service's pods exactly `pods`: new pods first, then both slices, then deleted pods (as Kubernetes does). */
  setPods(pods: readonly EchoPod[]): void {
    for (const p of pods) if (!this.#pods.some((q) => q.name === p.name)) this.fake.apply(echoPod(p));
    for (const s of echoSlices(pods)) this.fake.apply(s);
    for (const p of this.#pods) if (!pods.some((q) => q.name === p.name)) this.fake.delete('Pod', NS, p.name);
    this.#pods = pods;
  }

  /** Closes the fake (safe twice) and removes the temp folder. */
  async close(): Promise<void> {
    await this.fake.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

export { ServeProcess, type Listening } from '../support/serve.ts';

/** A raw SotW ADS stream as a sidecar: subscribes, ACKs every response, keeps every response in `received`. */
export class Sidecar {
  readonly stream: RawStream<SotwResponse>;
  readonly received: SotwResponse[] = [];
  readonly #names = new Map<string, string[]>();
  #sentNode = false;

  constructor(address: string, readonly node: object = NODE) {
    this.stream = openSotw(address);
  }

  /** Subscribes to a type (no names: wildcard); the first request carries the node. */
  subscribe(typeUrl: string, names: readonly string[] = []): void {
    this.#names.set(typeUrl, [...names]);
    this.stream.send({ ...(this.#sentNode ? {} : { node: this.node }), type_url: typeUrl, resource_names: [...names] });
    this.#sentNode = true;
  }

  /** Reads (and ACKs) responses until one of `typeUrl` satisfies `accept`; fails naming `what` after `ms`. */
  async next(typeUrl: string, what: string, accept: (r: SotwResponse) => boolean = () => true, ms = 8000): Promise<SotwResponse> {
    const deadline = Date.now() + ms;
    for (let i = 0; i < 100; i++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const r = await this.stream.next(left).catch((err: Error) => assert.fail(`waiting for ${what}: ${err.message}`));
      this.#take(r);
      if (r.type_url === typeUrl && accept(r)) return r;
    }
    return assert.fail(`no response with ${what} within ${ms} ms`);
  }

  /** Reads (and ACKs) whatever arrives within `ms`: the responses of a quiet period, usually none. */
  async drain(ms: number): Promise<SotwResponse[]> {
    const out: SotwResponse[] = [];
    const deadline = Date.now() + ms;
    for (let i = 0; i < 100 && Date.now() < deadline; i++) {
      const r = await this.stream.maybeNext(Math.max(1, deadline - Date.now()));
      if (!r) break;
      this.#take(r);
      out.push(r);
    }
    return out;
  }

  #take(r: SotwResponse): void {
    this.received.push(r);
    const names = this.#names.get(r.type_url) ?? [];
    this.stream.send({ type_url: r.type_url, version_info: r.version_info, response_nonce: r.nonce, resource_names: names });
  }

  /** CDS, then EDS of CLUSTER, then LDS, each ACKed: what Envoy does on connect. */
  async handshake(): Promise<{ cds: SotwResponse; eds: SotwResponse; lds: SotwResponse }> {
    this.subscribe(TypeUrl.Cluster);
    const cds = await this.next(TypeUrl.Cluster, 'CDS');
    this.subscribe(TypeUrl.ClusterLoadAssignment, [CLUSTER]);
    const eds = await this.next(TypeUrl.ClusterLoadAssignment, `EDS of ${CLUSTER}`);
    this.subscribe(TypeUrl.Listener);
    const lds = await this.next(TypeUrl.Listener, 'LDS');
    return { cds, eds, lds };
  }

  /** Cancels the stream and closes its channel. */
  close(): void {
    this.stream.close();
  }
}

/** Decoded resources of a SotW response. */
export function messages(r: SotwResponse): Json[] {
  return r.resources.map((any) => decodeMessage(any.type_url, any.value));
}

/** Names of the resources of a SotW response (clusters, listeners) or cluster names (load assignments). */
export function names(r: SotwResponse): string[] {
  return messages(r).map((m) => String(m['name'] ?? m['cluster_name']));
}

interface SocketAddressJson {
  readonly socket_address: { readonly address: string; readonly port_value?: number };
}

function hostPort(a: SocketAddressJson | undefined): string {
  const sa = a?.socket_address;
  if (!sa) return '?';
  return sa.address.includes(':') ? `[${sa.address}]:${sa.port_value ?? 0}` : `${sa.address}:${sa.port_value ?? 0}`;
}

/** Every lb_endpoint of `cluster` in an EDS response, as its addresses "ip:port" (primary first), or undefined if absent. */
export function endpointAddresses(r: SotwResponse, cluster: string): string[][] | undefined {
  const cla = messages(r).find((m) => m['cluster_name'] === cluster);
  if (!cla) return undefined;
  type Lb = { endpoint?: { address?: SocketAddressJson; additional_addresses?: { address?: SocketAddressJson }[] } };
  const localities = (cla['endpoints'] ?? []) as { lb_endpoints?: Lb[] }[];
  return localities.flatMap((l) =>
    (l.lb_endpoints ?? []).map((lb) => [hostPort(lb.endpoint?.address), ...(lb.endpoint?.additional_addresses ?? []).map((x) => hostPort(x.address))]),
  );
}

/** The addresses a listener binds, "ip:port", primary first (undefined when the response lacks it). */
export function listenerAddresses(r: SotwResponse, name: string): string[] | undefined {
  const l = messages(r).find((m) => m['name'] === name) as
    | { address?: SocketAddressJson; additional_addresses?: { address?: SocketAddressJson }[] }
    | undefined;
  if (!l) return undefined;
  return [hostPort(l.address), ...(l.additional_addresses ?? []).map((x) => hostPort(x.address))];
}

/** The lb_endpoint of a pod as `endpointAddresses` spells it: its podIPs in order, on the target port. */
export function expectedEndpoint(p: EchoPod): string[] {
  return [`${p.ips[0]}:${TARGET_PORT}`, `[${p.ips[1]}]:${TARGET_PORT}`];
}
