// A mesh test client: makes each request in turn and prints one JSON array of results, each the parsed answer of a
// mesh-app.mjs server (`reply`) or an error code (`error`, `timeout` when the bound ran out), plus `ms`. Kinds:
//   tcp  connect, send a line, read until the server closes        tls   the same inside TLS (PSK)
//   http HTTP/1.1 GET with an optional Host header                   h2c   HTTP/2 prior knowledge, a gRPC-shaped POST
//   hold connect, send a line, and report how the connection ended (for loops that should end at once)
// Usage: node mesh-client.mjs '{"timeoutMs":5000,"requests":[{"kind":"http","host":"198.19.0.10","port":80}]}'
// Poll mode, '{"poll":{<request>},"intervalMs":50}': repeats the request and prints one JSON line per attempt,
// {"at":<epoch ms>,"app":...,"remote":...} or {"at":...,"error":...}, until stdin closes.
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';

const spec = JSON.parse(process.argv[2] ?? '{}');
const PSK = Buffer.from('6d6573682d746573742d707265736861726564', 'hex');
const TLS_OPTIONS = { ciphers: 'PSK-AES128-GCM-SHA256', maxVersion: 'TLSv1.2', minVersion: 'TLSv1.2' };

function hostPort(r) {
  return `${r.host.includes(':') ? `[${r.host}]` : r.host}:${r.port}`;
}

function parse(text) {
  if (text === '') return { error: 'empty' };
  try {
    return { reply: JSON.parse(text) };
  } catch {
    return { error: 'bad-reply', text: text.slice(0, 200) };
  }
}

/** Runs `start(finish)` under the time bound; `finish` settles once. */
function bounded(timeoutMs, start) {
  return new Promise((resolve) => {
    let done = false;
    let cleanup = () => undefined;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cleanup();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    cleanup = start(finish) ?? cleanup;
  });
}

function stream(r, timeoutMs, secure, hold) {
  return bounded(timeoutMs, (finish) => {
    let data = '';
    const socket = secure
      ? tls.connect({ host: r.host, port: r.port, pskCallback: () => ({ psk: PSK, identity: 'mesh' }), checkServerIdentity: () => undefined, ...TLS_OPTIONS })
      : net.connect({ host: r.host, port: r.port });
    socket.on(secure ? 'secureConnect' : 'connect', () => socket.write('hello\n'));
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => finish(hold ? { ended: 'closed', data } : parse(data.trim())));
    socket.on('error', (err) => finish(hold ? { ended: err.code ?? String(err), data } : { error: err.code ?? String(err) }));
    return () => socket.destroy();
  });
}

function httpGet(r, timeoutMs) {
  return bounded(timeoutMs, (finish) => {
    const req = http.get({ host: r.host, port: r.port, path: r.path ?? '/', headers: { host: r.authority ?? hostPort(r) }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => finish({ status: res.statusCode, ...(res.statusCode === 200 ? parse(body) : { error: `status-${res.statusCode}`, text: body.slice(0, 200) }) }));
    });
    req.on('error', (err) => finish({ error: err.code ?? String(err) }));
    return () => req.destroy();
  });
}

function h2c(r, timeoutMs) {
  return bounded(timeoutMs, (finish) => {
    const session = http2.connect(`http://${hostPort(r)}`);
    session.on('error', (err) => finish({ error: err.code ?? String(err) }));
    const req = session.request({ ':method': 'POST', ':path': r.path ?? '/mesh.Echo/Seen', ':authority': r.authority ?? hostPort(r), 'content-type': 'application/grpc', te: 'trailers' });
    let body = '';
    let status = 0;
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => finish({ status, ...(status === 200 ? parse(body) : { error: `status-${status}`, text: body.slice(0, 200) }) }));
    req.on('error', (err) => finish({ error: err.code ?? String(err) }));
    req.end(Buffer.from([0, 0, 0, 0, 0]));
    return () => session.destroy();
  });
}

async function one(r) {
  const timeoutMs = r.timeoutMs ?? spec.timeoutMs ?? 5000;
  const started = process.hrtime.bigint();
  let result;
  if (r.kind === 'http') result = await httpGet(r, timeoutMs);
  else if (r.kind === 'h2c') result = await h2c(r, timeoutMs);
  else result = await stream(r, timeoutMs, r.kind === 'tls', r.kind === 'hold');
  return { ...r, ...result, ms: Number((process.hrtime.bigint() - started) / 1_000_000n) };
}

async function poll(r, intervalMs) {
  let open = true;
  process.stdin.on('end', () => (open = false));
  process.stdin.on('error', () => (open = false));
  process.stdin.resume();
  while (open) {
    const result = await one(r);
    const at = Date.now();
    const line = result.reply ? { at, app: result.reply.app, remote: result.reply.remote } : { at, error: result.error ?? '?' };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  process.exit(0);
}

if (spec.poll) {
  await poll(spec.poll, spec.intervalMs ?? 50);
} else {
  const results = [];
  for (const r of spec.requests ?? []) results.push(await one(r));
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
