// Test helpers for DNS over loopback: one query over UDP or TCP, and a fake upstream resolver the test runs.
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';

/** Sends raw bytes over UDP and resolves with the first reply, or undefined after `waitMs` without one. */
export function udpRaw(host: string, port: number, bytes: Buffer, waitMs = 5000): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => done(undefined), waitMs);
    const done = (reply: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    };
    socket.on('message', (msg) => done(msg));
    socket.send(bytes, port, host);
  });
}

/** A query for (name, type) with the given ID and RD set. */
export function query(name: string, type: 'A' | 'AAAA' | 'TXT', id = 4242): Buffer {
  return dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
}

/** One UDP question answered, decoded; throws when nothing came back. */
export async function udpAsk(host: string, port: number, name: string, type: 'A' | 'AAAA' | 'TXT', id = 4242): Promise<dnsPacket.DecodedPacket> {
  const reply = await udpRaw(host, port, query(name, type, id));
  if (!reply) throw new Error(`no UDP reply for ${name} ${type} from ${host}:${port}`);
  return dnsPacket.decode(reply);
}

/** Writes raw bytes to a TCP connection and resolves with every complete frame read until the connection ends. */
export function tcpExchange(host: string, port: number, bytes: Buffer, frames: number, waitMs = 5000): Promise<{ frames: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const got: Buffer[] = [];
    let pending = Buffer.alloc(0);
    let closed = false;
    const timer = setTimeout(() => finish(), waitMs);
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames: got, closed });
    };
    socket.on('connect', () => socket.write(bytes));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        got.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (got.length >= frames) finish();
    });
  });
}

/** A length-prefixed TCP DNS frame. */
export function frame(message: Buffer): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  message.copy(out, 2);
  return out;
}

/** A fake upstream resolver on loopback: answers every A question with `ip` (from another port if asked to), and remembers what it was asked. */
export async function fakeUpstream(host: string, ip: string, replyFromOtherPort = false): Promise<{ port: number; asked: dnsPacket.DecodedPacket[]; close: () => Promise<void> }> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const other = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => other.bind(0, host, resolve));
  const sender = replyFromOtherPort ? other : socket;
  const asked: dnsPacket.DecodedPacket[] = [];
  socket.on('message', (msg, rinfo) => {
    const q = dnsPacket.decode(msg);
    asked.push(q);
    const answers = (q.questions ?? []).filter((x) => x.type === 'A').map((x) => ({ name: x.name, type: 'A' as const, ttl: 5, data: ip }));
    sender.send(dnsPacket.encode({ id: q.id ?? 0, type: 'response', flags: dnsPacket.RECURSION_AVAILABLE, questions: q.questions ?? [], answers }), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  const close = async (): Promise<void> => {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    await new Promise<void>((resolve) => other.close(() => resolve()));
  };
  return { port: socket.address().port, asked, close };
}

/** A resolver that reads queries and never answers (an upstream that is down without refusing). */
export async function silentUpstream(host: string): Promise<{ port: number; close: () => Promise<void> }> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: socket.address().port, close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
