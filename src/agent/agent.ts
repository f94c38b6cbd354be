// `biplane agent`'s wiring, beside Envoy in a pod: write the bootstrap (the same builder as `biplane bootstrap`, with
// 15021 left to the agent), run Envoy supervised, serve readiness from Envoy's real state, and serve DNS from the
// name table the control plane sends over the agent's own ADS stream; with certificates, serve them to Envoy over SDS.
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { Proxy } from '../model/types.ts';
import { DEFAULT_SDS_SOCKET, sidecarBootstrap, type AdsApiType, type XdsAddress } from '../translate/bootstrap.ts';
import * as grpc from '@grpc/grpc-js';
import type { CertificateSource } from '../trust/identity.ts';
import type { XdsTls } from '../translate/xds-tls.ts';
import { SdsServer } from './sds.ts';
import { localhostOf, proxyFamilies, wildcardOf } from '../translate/proxy-addresses.ts';
import { ADMIN_PORT, READINESS_PORT } from '../translate/proxy-ports.ts';
import { fromProto3Json } from '../xds/proto3-json-parse.ts';
import { toProto3Json, type JsonValue } from '../xds/proto3-json.ts';
import { NameTableClient } from './ads-client.ts';
import { nameLookup } from './dns/names.ts';
import { DnsProxy } from './dns/server.ts';
import type { Upstream } from './dns/upstream.ts';
import { EnvoyProcess } from './envoy-process.ts';
import { READINESS_STATS, ReadinessServer, parseStats, readinessOf, type Readiness } from './readiness.ts';

/** Everything the agent needs to know, already checked. */
export interface AgentConfig {
  readonly proxy: Proxy;
  readonly xds: XdsAddress;
  readonly apiType: AdsApiType;
  readonly envoyBinary: string;
  /** Folder for the bootstrap file. */
  readonly workDir: string;
  /** DNS proxy resolvers; `dns: false` turns the DNS proxy (and its name table stream) off. */
  readonly upstreams: readonly Upstream[];
  readonly dns: boolean;
  readonly dnsPort?: number;
  readonly readinessPort?: number;
  readonly drainMs?: number;
  readonly envoyLogLevel?: string;
  /** More node metadata for the bootstrap and the agent's own stream (say SERVICE_ACCOUNT). */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The pod's certificates: with a source, the agent serves them to Envoy over SDS on `sdsSocket` (default
   * `<workDir>/var/run/secrets/workload-spiffe-uds/socket`, Istio's path under the work folder) and the bootstrap
   * asks biplane for mesh mTLS; without, the sidecar stays plaintext.
   */
  readonly certificates?: CertificateSource;
  readonly sdsSocket?: string;
  /**
   * xDS over biplane's TLS port: Envoy's bootstrap and the agent's own name table stream verify the server by this
   * root (`rootPem` for the agent, the file for Envoy) and name, and present the pod's certificate. Needs certificates.
   */
  readonly xdsTls?: XdsTls & { readonly rootPem: string };
  readonly log: (line: string) => void;
}

/** A running agent. `exited` resolves with the exit code: 0 after `stop`, 1 when Envoy could not be kept up. */
export interface RunningAgent {
  readonly envoy: EnvoyProcess;
  readonly exited: Promise<number>;
  stop(): Promise<void>;
  readiness(): Promise<Readiness>;
}

/** The gRPC target of an xDS address (`host:port`, `[v6]:port` or `unix:/path`). */
export function grpcTarget(xds: XdsAddress): string {
  if ('pipe' in xds) return `unix:${xds.pipe}`;
  return xds.host.includes(':') ? `[${xds.host}]:${xds.port}` : `${xds.host}:${xds.port}`;
}

/** Node metadata the agent adds: the configured extras, and that it captures DNS and answers auto-allocated VIPs (Istio's keys). */
function agentMetadata(config: AgentConfig): Record<string, string> {
  return { ...config.metadata, ...(config.dns ? { DNS_CAPTURE: 'true', DNS_AUTO_ALLOCATE: 'true' } : {}) };
}

/** Writes Envoy's bootstrap for the pod into the work folder (through the real encoder) and returns its path. */
async function writeBootstrap(config: AgentConfig, sdsSocket: string | undefined): Promise<string> {
  const sds = sdsSocket !== undefined ? { sdsSocket } : {};
  const tls = config.xdsTls ? { xdsTls: { rootFile: config.xdsTls.rootFile, serverName: config.xdsTls.serverName } } : {};
  const bootstrap = sidecarBootstrap(config.proxy, config.xds, { apiType: config.apiType, readiness: 'agent', metadata: agentMetadata(config), ...sds, ...tls });
  const bytes = fromProto3Json('envoy.config.bootstrap.v3.Bootstrap', bootstrap as JsonValue);
  await mkdir(config.workDir, { recursive: true });
  const file = path.join(config.workDir, 'envoy-bootstrap.json');
  await writeFile(file, `${JSON.stringify(toProto3Json('envoy.config.bootstrap.v3.Bootstrap', bytes), null, 2)}\n`);
  return file;
}

/** Starts the DNS proxy and the name-table client that feeds it, adding both to `parts` as they start. */
async function startDns(config: AgentConfig, parts: { close(): Promise<void> | void }[]): Promise<void> {
  const { proxy, log } = config;
  const dns = new DnsProxy({ upstreams: config.upstreams, port: config.dnsPort ?? 15053 });
  await dns.start();
  parts.push(dns);
  const node = { id: proxy.id, cluster: `${proxy.pod ?? 'sidecar'}.${proxy.namespace}`, metadata: nodeMetadata(proxy, agentMetadata(config)) };
  const client = new NameTableClient({
    target: grpcTarget(config.xds),
    node,
    log,
    onTable: (table) => dns.setLookup(nameLookup(table, proxy.namespace)),
    ...nameTableTls(config),
  });
  client.start();
  parts.push(client);
}

/** Starts everything; rejects when a port cannot be bound or the bootstrap does not encode. */
export async function startAgent(config: AgentConfig): Promise<RunningAgent> {
  const { proxy, log } = config;
  const sdsSocket = config.certificates ? (config.sdsSocket ?? path.resolve(config.workDir, DEFAULT_SDS_SOCKET)) : undefined;
  const file = await writeBootstrap(config, sdsSocket);
  const admin = { host: localhostOf(proxy.primaryFamily), port: ADMIN_PORT };
  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (finish = resolve));
  let stopped = false;
  const parts: { close(): Promise<void> | void }[] = [];
  const stop = async (code = 0): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await envoy.stop();
    for (const part of parts.reverse()) await part.close();
    finish(code);
  };
  const envoy = new EnvoyProcess({
    binary: config.envoyBinary,
    args: ['-c', file, '--use-dynamic-base-id', '-l', config.envoyLogLevel ?? 'warning'],
    drain: () => adminCall(admin, '/drain_listeners?graceful', 'POST').then(() => undefined),
    ...(config.drainMs !== undefined ? { drainMs: config.drainMs } : {}),
    log,
    onGiveUp: (lines) => {
      log(`envoy cannot be kept up; its last lines:\n${lines.join('\n')}`);
      void stop(1);
    },
  });
  const readiness = async (): Promise<Readiness> => readinessOf(await envoyFacts(envoy, admin));
  try {
    if (config.certificates && sdsSocket !== undefined) {
      const server = new SdsServer(config.certificates, { onNack: (message) => log(`Envoy refused a secret: ${message}`) });
      await server.listen(sdsSocket);
      parts.push(server);
    }
    if (config.dns) await startDns(config, parts);
    const server = new ReadinessServer(proxyFamilies(proxy).map(wildcardOf), config.readinessPort ?? READINESS_PORT, readiness);
    await server.start();
    parts.push(server);
  } catch (err) {
    for (const part of parts.reverse()) await part.close();
    throw err;
  }
  envoy.start();
  return { envoy, exited, stop: () => stop(0), readiness };
}

/** The name table stream's TLS, as Envoy's: biplane checked by the root and name, the pod's current certificate. */
function nameTableTls(config: AgentConfig): { credentials?: () => grpc.ChannelCredentials | undefined; serverName?: string } {
  const { xdsTls, certificates } = config;
  if (!xdsTls || !certificates) return {};
  const credentials = (): grpc.ChannelCredentials | undefined => {
    const cert = certificates.current();
    return cert && grpc.credentials.createSsl(Buffer.from(xdsTls.rootPem), Buffer.from(cert.privateKeyPem), Buffer.from(cert.certChainPem));
  };
  return { credentials, serverName: xdsTls.serverName };
}

/** The string node metadata Envoy's bootstrap carries, for the agent's own stream. */
function nodeMetadata(proxy: Proxy, extra: Record<string, string>): Record<string, string> {
  return {
    INSTANCE_IPS: proxy.ips.map((a) => a.ip).join(','),
    NAMESPACE: proxy.namespace,
    ...(proxy.pod ? { NAME: proxy.pod } : {}),
    ...(proxy.interception === 'TPROXY' ? { INTERCEPTION_MODE: 'TPROXY' } : {}),
    ...extra,
  };
}

/** What Envoy's admin API says now (each call bounded to 1 s). */
async function envoyFacts(envoy: EnvoyProcess, admin: { host: string; port: number }) {
  if (!envoy.running) return { running: false };
  const ready = await adminCall(admin, '/ready', 'GET').catch(() => undefined);
  const filter = encodeURIComponent(`^(${READINESS_STATS.map((s) => s.replaceAll('.', '\\.')).join('|')})$`);
  const stats = await adminCall(admin, `/stats?filter=${filter}`, 'GET').catch(() => undefined);
  return { running: envoy.running, ready, stats: stats ? parseStats(stats.body) : undefined };
}

function adminCall(admin: { host: string; port: number }, pathAndQuery: string, method: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: admin.host, port: admin.port, path: pathAndQuery, method, timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('admin call timed out')));
    req.on('error', reject);
    req.end();
  });
}
