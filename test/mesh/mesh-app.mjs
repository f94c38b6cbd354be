// A mesh test app: listens on the given ports and answers every connection with what it saw, as one JSON object:
// the app's name, the port, the protocol it spoke (raw TCP, TLS, HTTP/1.1, HTTP/2), its local address and family,
// and the remote address and family. One listener per port sniffs the first bytes, so raw TCP, TLS (PSK, no
// certificate needed), HTTP/1.1 and h2c (prior knowledge) all work on every port. Usage:
//   node mesh-app.mjs '{"name":"s1","ports":[8080],"families":["IPv4","IPv6"],"maxMs":600000}'
// Prints {"ready":true} once it listens; exits when stdin closes (the test ended or died) or after maxMs.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';

const spec = JSON.parse(process.argv[2] ?? '{}');
/** The pre-shared key of the test TLS: both sides know it, so no certificate is involved. */
const PSK = Buffer.from('6d6573682d746573742d707265736861726564', 'hex');
const TLS_OPTIONS = { ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' };

function plain(address) {
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

function familyOf(address) {
  return address?.includes(':') ? 'IPv6' : 'IPv4';
}

/** What this connection looks like from the app: `socket` is the TCP socket under any TLS or HTTP layer. */
function seen(socket, port, proto, extra = {}) {
  const local = plain(socket.localAddress);
  const remote = plain(socket.remoteAddress);
  return { app: spec.name, port, proto, local, localFamily: familyOf(local), remote, remoteFamily: familyOf(remote), ...extra };
}

function httpHandler(port) {
  return (req, res) => {
    const proto = req.httpVersion === '2.0' ? 'h2' : `http/${req.httpVersion}`;
    const body = JSON.stringify(seen(req.socket, port, proto, { authority: req.headers[':authority'] ?? req.headers.host, path: req.url }));
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
  };
}

function answerRaw(socket, port, proto, stream) {
  stream.on('error', () => undefined);
  stream.once('data', () => stream.end(`${JSON.stringify(seen(socket, port, proto))}\n`));
}

function listen(port) {
  const h1 = http.createServer(httpHandler(port));
  const h2 = http2.createServer(httpHandler(port));
  h2.on('sessionError', () => undefined);
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      const head = chunk.toString('latin1');
      if (chunk[0] === 0x16) {
        const secure = new tls.TLSSocket(socket, { isServer: true, pskCallback: () => PSK, ...TLS_OPTIONS });
        answerRaw(socket, port, 'tls', secure);
      } else if (head.startsWith('PRI * HTTP/2.0')) {
        h2.emit('connection', socket); // the HTTP/2 session reads the unshifted preface itself
      } else if (/^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/.test(head)) {
        h1.emit('connection', socket);
        socket.resume();
      } else {
        answerRaw(socket, port, 'tcp', socket);
        socket.resume();
      }
    });
  });
  const families = spec.families ?? ['IPv4', 'IPv6'];
  const options = families.includes('IPv6')
    ? { host: '::', port, ipv6Only: !families.includes('IPv4') }
    : { host: '0.0.0.0', port };
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve(server));
  });
}

try {
  await Promise.all((spec.ports ?? []).map(listen));
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ready: false, error: String(err) })}\n`);
  process.exit(1);
}
setTimeout(() => process.exit(0), spec.maxMs ?? 600_000).unref();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
