// Listens inside a network namespace and answers every TCP connection and UDP datagram with `<label>:<port>`, so
// the client learns which listener really got it; with `peer: true` a TCP reply has a second line
// `from <address> <port>`, the connection's source as this listener saw it. Usage: node netns-listen.mjs '<json>' with
// { label, tcp: [port], udp: [{ host, port }], peer, maxMs }. Prints {"ready":true} once everything listens; exits when
// stdin closes (the test is done or gone) or after maxMs, whichever comes first.
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

const spec = JSON.parse(process.argv[2] ?? '{}');
const closers = [];

function listenTcp(port) {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      const seen = spec.peer ? `from ${socket.remoteAddress.replace(/^::ffff:/, '')} ${socket.remotePort}\n` : '';
      socket.end(`${spec.label}:${port}\n${seen}`);
    });
    server.once('error', reject);
    server.listen({ host: '::', port, ipv6Only: false }, () => resolve());
    closers.push(() => server.close());
  });
}

function listenUdp({ host, port }) {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', ipv6Only: false });
    socket.on('message', (_msg, rinfo) => socket.send(`${spec.label}:${port}\n`, rinfo.port, rinfo.address));
    socket.once('error', reject);
    socket.bind(port, host, () => resolve());
    closers.push(() => socket.close());
  });
}

function shutdown(code) {
  for (const close of closers) close();
  process.exit(code);
}

try {
  await Promise.all([...(spec.tcp ?? []).map(listenTcp), ...(spec.udp ?? []).map(listenUdp)]);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ready: false, error: String(err) })}\n`);
  shutdown(1);
}
setTimeout(() => shutdown(0), spec.maxMs ?? 60_000).unref();
process.stdin.on('end', () => shutdown(0));
process.stdin.on('error', () => shutdown(0));
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
