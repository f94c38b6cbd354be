// Forwarding to the pod's own resolvers: the client's query bytes unchanged (so its ID and question are kept) over UDP
// to each resolver in turn, over that resolver's family, with a bounded wait; undefined when none answered.
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { parseAddress } from '../../model/address.ts';

/** A resolver the proxy forwards to. */
export interface Upstream {
  readonly ip: string;
  readonly port: number;
}

/** The `nameserver` lines of a resolv.conf text, in order (port 53; zones and invalid entries skipped). */
export function resolvConfUpstreams(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const [keyword, value] = line.trim().split(/\s+/);
    const address = keyword === 'nameserver' && value ? parseAddress(value) : undefined;
    if (address) out.push({ ip: address.ip, port: 53 });
  }
  return out;
}

/** The resolvers of a resolv.conf file (none when it cannot be read). */
export async function readResolvConf(path = '/etc/resolv.conf'): Promise<Upstream[]> {
  try {
    return resolvConfUpstreams(await readFile(path, 'utf8'));
  } catch {
    return [];
  }
}

/** Parses `ip:port` / `[v6]:port` / a bare IP (port 53). */
export function parseUpstream(text: string): Upstream | undefined {
  const bare = parseAddress(text);
  if (bare) return { ip: bare.ip, port: 53 };
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const address = m?.[1] ? parseAddress(m[1]) : undefined;
  const port = Number(m?.[2]);
  return address && port > 0 && port < 65536 ? { ip: address.ip, port } : undefined;
}

/**
 * Sends `query` to each upstream in turn, giving each `attemptMs`; resolves with the first reply that comes from that
 * upstream's address and port and carries the query's ID and the response bit, or undefined once every upstream failed
 * or timed out.
 */
export async function forward(query: Buffer, upstreams: readonly Upstream[], attemptMs: number): Promise<Buffer | undefined> {
  for (const upstream of upstreams) {
    const reply = await askOne(query, upstream, attemptMs);
    if (reply) return reply;
  }
  return undefined;
}

function askOne(query: Buffer, upstream: Upstream, attemptMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const family = upstream.ip.includes(':') ? 'udp6' : 'udp4';
    const socket = dgram.createSocket(family);
    let done = false;
    const finish = (reply: Buffer | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    const timer = setTimeout(() => finish(undefined), attemptMs);
    socket.on('error', () => finish(undefined));
    socket.on('message', (reply, from) => {
      const fromUpstream = from.address === upstream.ip && from.port === upstream.port;
      if (fromUpstream && reply.length >= 12 && reply.readUInt16BE(0) === query.readUInt16BE(0) && ((reply[2] ?? 0) & 0x80) !== 0) finish(reply);
    });
    socket.send(query, upstream.port, upstream.ip, (err) => {
      if (err) finish(undefined);
    });
  });
}
