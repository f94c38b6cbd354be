// The pod's DNS proxy: UDP and TCP listeners (127.0.0.1:15053 and [::1]:15053 by default) answering mesh names from
// the current name lookup and forwarding the rest upstream. Every message is handled on its own: bad input gets FORMERR
// or is dropped, a failing upstream gives SERVFAIL after a bounded wait, and nothing a client sends stops the others.
import dgram from 'node:dgram';
import net from 'node:net';
import { answerFor, type NameLookup } from './names.ts';
import { askedType, readQuery, servfail, tableReply } from './messages.ts';
import { forward, type Upstream } from './upstream.ts';

/** Where and how the proxy serves. */
export interface DnsProxyOptions {
  /** Listen addresses (IP literals); default `127.0.0.1` and `::1`. */
  readonly hosts?: readonly string[];
  /** Port on every host; default 15053 (0: a free port, the same for UDP and TCP per host). */
  readonly port?: number;
  readonly upstreams: readonly Upstream[];
  /** Wait per upstream before trying the next; the whole forward is bounded by this times the upstream count. */
  readonly attemptMs?: number;
  /** Most queries forwarded at once; more are dropped (the client retries). */
  readonly maxInFlight?: number;
}

/** Largest TCP query accepted: a frame announcing more closes the connection. */
const MAX_TCP_QUERY = 4096;
/** Most TCP connections at once, and how long an idle one stays open. */
const MAX_TCP_CONNECTIONS = 128;
const TCP_IDLE_MS = 10_000;

/** A running DNS proxy. `setLookup` swaps the table it answers from (e.g. on each name table push). */
export class DnsProxy {
  #lookup: NameLookup = new Map();
  #inFlight = 0;
  readonly #udp: dgram.Socket[] = [];
  readonly #tcp: net.Server[] = [];
  readonly #connections = new Set<net.Socket>();

  constructor(readonly options: DnsProxyOptions) {}

  /** Replaces the names the proxy answers itself. */
  setLookup(lookup: NameLookup): void {
    this.#lookup = lookup;
  }

  /** Binds every host over UDP and TCP; rejects when a bind fails (port 0: retried until one port is free for both). */
  async start(): Promise<void> {
    for (const host of this.options.hosts ?? ['127.0.0.1', '::1']) {
      for (let attempt = 0; ; attempt++) {
        const udp = await bindUdp(host, this.options.port ?? 15053);
        try {
          this.#tcp.push(await listenTcp(host, udp.address().port, (socket) => this.#onTcp(socket)));
        } catch (err) {
          udp.close();
          if (this.options.port !== 0 || attempt >= 20) throw err;
          continue;
        }
        udp.on('error', () => undefined);
        udp.on('message', (msg, rinfo) => void this.#onUdp(udp, msg, rinfo));
        this.#udp.push(udp);
        break;
      }
    }
  }

  /** The bound UDP addresses (TCP uses the same host and port). */
  addresses(): { host: string; port: number }[] {
    return this.#udp.map((s) => ({ host: s.address().address, port: s.address().port }));
  }

  /** Stops listening and closes every open TCP connection. */
  async close(): Promise<void> {
    for (const socket of this.#connections) socket.destroy();
    await Promise.all(this.#udp.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    await Promise.all(this.#tcp.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  /** The reply to one message, or undefined to drop it. Never throws. */
  async reply(bytes: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const read = readQuery(bytes);
    if (read.kind === 'drop') return undefined;
    if (read.kind === 'error') return read.reply;
    const query = read.query;
    const answer = query.class === 'IN' ? answerFor(this.#lookup, query.name, askedType(query)) : { kind: 'forward' as const };
    if (answer.kind === 'answer') return tableReply(query, answer.addresses, transport);
    if (this.#inFlight >= (this.options.maxInFlight ?? 256)) return undefined;
    this.#inFlight++;
    try {
      return (await forward(bytes, this.options.upstreams, this.options.attemptMs ?? 2000)) ?? servfail(query);
    } finally {
      this.#inFlight--;
    }
  }

  async #onUdp(socket: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const out = await this.reply(msg, 'udp').catch(() => undefined);
    if (out) socket.send(out, rinfo.port, rinfo.address, () => undefined);
  }

  #onTcp(socket: net.Socket): void {
    this.#connections.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => this.#connections.delete(socket));
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (length > MAX_TCP_QUERY) {
          socket.destroy();
          return;
        }
        if (pending.length < 2 + length) return;
        const message = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        void this.reply(Buffer.from(message), 'tcp').then((out) => {
          if (!out || socket.destroyed) return;
          const frame = Buffer.alloc(2 + out.length);
          frame.writeUInt16BE(out.length, 0);
          out.copy(frame, 2);
          socket.write(frame);
        }, () => undefined);
      }
    });
  }
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  const udp = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: host.includes(':') });
  return new Promise((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      resolve(udp);
    });
  });
}

function listenTcp(host: string, port: number, onSocket: (socket: net.Socket) => void): Promise<net.Server> {
  const tcp = net.createServer(onSocket);
  tcp.maxConnections = MAX_TCP_CONNECTIONS;
  return new Promise((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen({ port, host, ipv6Only: host.includes(':') }, () => {
      tcp.off('error', reject);
      resolve(tcp);
    });
  });
}
