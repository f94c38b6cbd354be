// The pod's readiness on 15021 (`/healthz/ready`), served by the agent on the wildcard of every family the pod has:
// 200 only when Envoy runs, says it is LIVE (admin `/ready`) and has accepted its first LDS and CDS from the control
// plane (admin stats `listener_manager.lds.update_success`, `cluster_manager.cds.update_success`); 503 with the
// reason otherwise. `readinessOf` is the pure rule; `ReadinessServer` is the HTTP side.
import http from 'node:http';

/** What the agent knows about Envoy at one moment. */
export interface EnvoyFacts {
  readonly running: boolean;
  /** Admin `/ready`: status and body (`LIVE`, `PRE_INITIALIZING`, ...), undefined when the admin API did not answer. */
  readonly ready?: { readonly status: number; readonly body: string } | undefined;
  /** Admin stats by name (only the two update counters matter). */
  readonly stats?: ReadonlyMap<string, number> | undefined;
}

/** The readiness answer: ready, or not with a reason a person can act on. */
export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

/** The stats filter the agent reads, and the two counters it needs. */
export const READINESS_STATS = ['listener_manager.lds.update_success', 'cluster_manager.cds.update_success'] as const;

/** Ready only when Envoy runs, is LIVE, and has received its first LDS and CDS. */
export function readinessOf(facts: EnvoyFacts): Readiness {
  if (!facts.running) return { ready: false, reason: 'envoy is not running' };
  if (!facts.ready) return { ready: false, reason: 'envoy admin API does not answer' };
  if (facts.ready.status !== 200) return { ready: false, reason: `envoy is not live yet (${facts.ready.body.trim() || facts.ready.status})` };
  if (!((facts.stats?.get(READINESS_STATS[0]) ?? 0) > 0)) return { ready: false, reason: 'no listeners (LDS) received from the control plane yet' };
  if (!((facts.stats?.get(READINESS_STATS[1]) ?? 0) > 0)) return { ready: false, reason: 'no clusters (CDS) received from the control plane yet' };
  return { ready: true };
}

/** Reads `name: value` lines of Envoy's plain-text `/stats` output. */
export function parseStats(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:\s]+):\s*(\d+)\s*$/.exec(line);
    if (m?.[1] && m[2]) out.set(m[1], Number(m[2]));
  }
  return out;
}

/** An HTTP server per host on one port answering `/healthz/ready` from `check`. */
export class ReadinessServer {
  readonly #servers: http.Server[] = [];

  constructor(
    readonly hosts: readonly string[],
    readonly port: number,
    readonly check: () => Promise<Readiness>,
  ) {}

  /** Listens on every host (rejects when one cannot bind). */
  async start(): Promise<void> {
    for (const host of this.hosts) {
      const server = http.createServer((req, res) => void this.#answer(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host, port: this.port, ipv6Only: host.includes(':') }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.#servers.push(server);
    }
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await Promise.all(this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  async #answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!(req.url ?? '').startsWith('/healthz/ready')) {
      res.writeHead(404).end('not found\n');
      return;
    }
    const state = await this.check().catch((err: unknown) => ({ ready: false as const, reason: `check failed: ${String(err)}` }));
    if (state.ready) res.writeHead(200, { 'content-type': 'text/plain' }).end('ready\n');
    else res.writeHead(503, { 'content-type': 'text/plain' }).end(`not ready: ${state.reason}\n`);
  }
}
