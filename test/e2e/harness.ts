// Shared parts of the end-to-end tests: a temp manifest folder for a dual-stack service whose pods listen on
// 127.0.0.1 and [::1], real grpc-js backends that report which pod and family served a call, grpc-js-xds clients
// configured per channel, and bounded polling.
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';

/** The test namespace and the dual-stack service every test dials. */
export const NAMESPACE = 'e2e';
export const SERVICE_PORT = 7070;
export const TARGET = `who.${NAMESPACE}.svc.cluster.local:${SERVICE_PORT}`;

const PATH = '/biplane.e2e.Who/Am';
const identity = (b: Buffer): Buffer => b;
const WHO: grpc.ServiceDefinition = {
  Am: { path: PATH, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};

/** What a backend answers: the pod that served the call and the family the call arrived over. */
export interface Reply {
  readonly pod: string;
  readonly family: 'IPv4' | 'IPv6';
}

function yamlDocs(docs: readonly object[]): string {
  return `${docs.map((d) => JSON.stringify(d, null, 1)).join('\n---\n')}\n`;
}

/** A temp manifest folder: the namespace and service, and one file per pod (the pod and its per-family slices). */
export class Manifests {
  private constructor(readonly dir: string) {}

  static async create(): Promise<Manifests> {
    const dir = await mkdtemp(path.join(tmpdir(), 'biplane-e2e-'));
    const m = new Manifests(dir);
    const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } };
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'who', namespace: NAMESPACE },
      spec: {
        selector: { app: 'who' },
        ipFamilyPolicy: 'PreferDualStack',
        ipFamilies: ['IPv4', 'IPv6'],
        clusterIP: '10.96.0.10',
        clusterIPs: ['10.96.0.10', 'fd00:10:96::a'],
        ports: [{ name: 'grpc', port: SERVICE_PORT, targetPort: 'grpc', protocol: 'TCP' }],
      },
    };
    await writeFile(path.join(dir, 'service.yaml'), yamlDocs([namespace, service]));
    return m;
  }

  /** Writes (or rewrites) a pod with `ips` (primary first) serving the service on `port`, plus its slices. */
  async writePod(name: string, ips: readonly string[], port: number, app = 'who'): Promise<void> {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: NAMESPACE, labels: { app } },
      spec: { containers: [{ name: 'app', image: 'example/app:1', ports: [{ name: 'grpc', containerPort: port }] }] },
      status: { phase: 'Running', podIP: ips[0], podIPs: ips.map((ip) => ({ ip })), conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const slices = app !== 'who' ? [] : ips.map((ip) => {
      const v6 = ip.includes(':');
      return {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `who-${name}-${v6 ? 'v6' : 'v4'}`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': 'who' } },
        addressType: v6 ? 'IPv6' : 'IPv4',
        ports: [{ name: 'grpc', port, protocol: 'TCP' }],
        endpoints: [
          { addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', namespace: NAMESPACE, name } },
        ],
      };
    });
    await writeFile(path.join(this.dir, `pod-${name}.yaml`), yamlDocs([pod, ...slices]));
  }

  /** Deletes a pod's file (the pod and its slices disappear together). */
  async deletePod(name: string): Promise<void> {
    await unlink(path.join(this.dir, `pod-${name}.yaml`));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** One backend pod: a grpc-js server per family on the same port, each closable on its own. */
export class Backend {
  readonly servers = new Map<'IPv4' | 'IPv6', grpc.Server>();

  private constructor(readonly pod: string, readonly port: number) {}

  /** Starts listeners on 127.0.0.1 and [::1] with one port free on both (bounded retries). */
  static async start(pod: string): Promise<Backend> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const v4 = await serve(pod, '127.0.0.1', 0);
      const b = new Backend(pod, v4.port);
      b.servers.set('IPv4', v4.server);
      try {
        b.servers.set('IPv6', (await serve(pod, '[::1]', v4.port)).server);
        return b;
      } catch {
        v4.server.forceShutdown();
      }
    }
    throw new Error(`no port free on both 127.0.0.1 and [::1] for ${pod}`);
  }

  /** Stops one family's listener (its connections are cut). */
  kill(family: 'IPv4' | 'IPv6'): void {
    this.servers.get(family)?.forceShutdown();
    this.servers.delete(family);
  }

  /** Starts one family's listener again on the same port. */
  async revive(family: 'IPv4' | 'IPv6'): Promise<void> {
    if (this.servers.has(family)) return;
    this.servers.set(family, (await serve(this.pod, family === 'IPv4' ? '127.0.0.1' : '[::1]', this.port)).server);
  }

  stop(): void {
    for (const s of this.servers.values()) s.forceShutdown();
    this.servers.clear();
  }
}

async function serve(pod: string, host: string, port: number): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(WHO, {
    Am: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
      const peer = call.getPeer();
      // grpc-js spells the peer "127.0.0.1:port" or "::1:port" / "[::1]:port": more than one colon means IPv6.
      const family = peer.split(':').length > 2 ? 'IPv6' : 'IPv4';
      done(null, Buffer.from(JSON.stringify({ pod, family } satisfies Reply)));
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port: bound };
}

/** A port that was free on 127.0.0.1 a moment ago (XdsServer refuses port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A proxyless node: id, and metadata with GENERATOR grpc, the namespace and the claimed IPs. */
export function grpcNode(name: string, ips: readonly string[]): { id: string; locality: object; metadata: Record<string, string> } {
  return {
    id: `grpc~${ips[0]}~${name}.${NAMESPACE}~${NAMESPACE}.svc.cluster.local`,
    locality: {},
    metadata: { GENERATOR: 'grpc', NAMESPACE, NAME: name, INSTANCE_IPS: ips.join(',') },
  };
}

/** The per-channel bootstrap grpc-js-xds reads (the test-only channel option: no env var, no file). */
export function bootstrapOption(xdsAddress: string, node: object): grpc.ChannelOptions {
  const bootstrap = {
    xds_servers: [{ server_uri: xdsAddress, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node,
    server_listener_resource_name_template: 'grpc/server?xds.resource.listening_address=%s',
  };
  return { 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': JSON.stringify(bootstrap) };
}

/** One unary call through `client`; rejects on error or after `ms`. */
export function callWho(client: grpc.Client, ms = 3000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(PATH, identity, identity, Buffer.alloc(0), { deadline: Date.now() + ms }, (err, value) =>
      err || !value ? reject(err ?? new Error('empty reply')) : resolve(JSON.parse(value.toString()) as Reply),
    );
  });
}

/** Calls until `done` says so; returns every reply. Throws after `maxCalls` calls or `ms` without `done`. */
export async function callUntil(
  client: grpc.Client,
  done: (replies: readonly Reply[]) => boolean,
  what: string,
  { maxCalls = 400, ms = 20_000 } = {},
): Promise<Reply[]> {
  const replies: Reply[] = [];
  const errors: string[] = [];
  const deadline = Date.now() + ms;
  for (let i = 0; i < maxCalls && Date.now() < deadline; i++) {
    try {
      replies.push(await callWho(client));
    } catch (err) {
      errors.push((err as Error).message);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (done(replies)) return replies;
  }
  throw new Error(`${what}: not reached after ${replies.length} replies (${summary(replies)}); last errors: ${errors.slice(-3).join(' | ')}`);
}

/** "pod/family ×n" counts, for failure messages. */
export function summary(replies: readonly Reply[]): string {
  const counts = new Map<string, number>();
  for (const r of replies) counts.set(`${r.pod}/${r.family}`, (counts.get(`${r.pod}/${r.family}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
}

/** Polls `check` every 50 ms until it returns a value, at most `ms`. */
export async function poll<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** GET an admin page as text. */
export async function getText(admin: string, page: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://${admin}${page}`, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: await res.text() };
}
