// The web view's routes on a running server's admin port: the page and its assets under a same-origin CSP, the event
// stream, and the JSON pages the page reads.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { serveFolder } from '../server/served-folder.ts';

/** The first bytes of the event stream at `url`, and its response headers. */
function firstEvent(url: string): Promise<{ headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, (res) => {
      res.setEncoding('utf8');
      res.once('data', (text: string) => {
        resolve({ headers: res.headers, text });
        req.destroy();
      });
    });
    req.on('error', reject);
  });
}

test('the admin server serves the web view page, its assets and its JSON pages', async (t) => {
  const served = await serveFolder(t);
  await served.server.settled();
  const base = `http://${served.server.adminAddress}`;
  const page = await fetch(`${base}/ui`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  assert.match(await page.text(), /<title>biplane/);
  for (const [asset, type] of [['/ui/app.js', /^text\/javascript/], ['/ui/app.css', /^text\/css/]] as const) {
    const res = await fetch(`${base}${asset}`);
    assert.equal(res.status, 200, asset);
    assert.match(res.headers.get('content-type') ?? '', type);
  }
  const mesh = (await (await fetch(`${base}/debug/mesh`)).json()) as { ready: boolean; pods: { name: string; mode: string }[] };
  assert.equal(mesh.ready, true);
  assert.deepEqual(mesh.pods.map((p) => [p.name, p.mode]), [['who-0', 'Dual']]);
  const matrix = (await (await fetch(`${base}/debug/reachability`)).json()) as { rows: unknown[] };
  assert.equal(matrix.rows.length, 1);
  assert.equal((await fetch(`${base}/debug/request-path`)).status, 400);
  assert.equal((await fetch(`${base}/ui/nothing`)).status, 404);
  const events = await firstEvent(`${base}/ui/events`);
  assert.match(events.headers['content-type'] ?? '', /^text\/event-stream/);
  assert.match(events.text, /event: change\ndata: \{"seq":0,"topics":\["model","sync"\]\}/);
  assert.match(await (await fetch(`${base}/debug`)).text(), /\/ui\n/);
});
