// Connects (TCP) or sends one datagram (UDP) to each target inside a network namespace and prints, as one JSON
// array, what answered: the `<label>:<port>` a netns-listen.mjs listener replies with (plus, for TCP, the local port
// used and the source the listener saw when it reports one), or the error. Usage:
// node netns-connect.mjs '<json>' with { targets: [{ proto, host, port, from? }], timeoutMs }; `from` binds the TCP
// source address. Every attempt is bounded.
import { connect } from 'node:net';
import { createSocket } from 'node:dgram';

const spec = JSON.parse(process.argv[2] ?? '{}');
const timeoutMs = spec.timeoutMs ?? 3000;

function tcp(host, port, from) {
  return new Promise((resolve) => {
    let data = '';
    const socket = connect({ host, port, ...(from ? { localAddress: from } : {}) });
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    function finish(result) {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    }
    let localPort;
    socket.on('connect', () => (localPort = socket.localPort));
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => {
      const [reply = '', seen] = data.trim().split('\n');
      const [, address, port] = /^from (\S+) (\d+)$/.exec(seen ?? '') ?? [];
      finish({ reply, localPort, ...(address ? { seenFrom: { address, port: Number(port) } } : {}) });
    });
    socket.on('error', (err) => finish({ error: err.code ?? String(err) }));
  });
}

function udp(host, port) {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    function finish(result) {
      clearTimeout(timer);
      socket.close();
      resolve(result);
    }
    socket.on('message', (msg) => finish({ reply: msg.toString().trim() }));
    socket.on('error', (err) => finish({ error: err.code ?? String(err) }));
    socket.send('query', port, host);
  });
}

const results = await Promise.all(
  spec.targets.map(async (t) => ({ ...t, ...(await (t.proto === 'udp' ? udp(t.host, t.port) : tcp(t.host, t.port, t.from))) })),
);
process.stdout.write(`${JSON.stringify(results)}\n`);
