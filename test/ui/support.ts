// What the web view test needs around the page: a demo copy served by the real `biplane serve`, ADS clients that
// stand in for pods' proxies, the server's own JSON to derive expectations from, and page polling with clear failures.
import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { podProxyNode } from '../../src/model/index.ts';
import type { Pod } from '../../src/model/index.ts';
import { TypeUrl } from '../../src/xds/index.ts';
import { ServeProcess } from '../support/serve.ts';
import { openSotw } from '../xds/raw-client.ts';
import type { RawStream, SotwResponse } from '../xds/raw-client.ts';

/** The demo cluster, copied so the test can edit it. */
export const DEMO = path.join(import.meta.dirname, '../../examples/demo');

/** A running `biplane serve` over a temp copy of the demo, and where it listens. */
export interface ServedDemo {
  readonly dir: string;
  readonly admin: string;
  readonly xds: string;
  readonly serve: ServeProcess;
}

/** Copies the demo and serves it on ephemeral loopback ports; server and copy go after the test. */
export async function serveDemo(t: TestContext): Promise<ServedDemo> {
  const dir = await mkdtemp(path.join(tmpdir(), 'biplane-ui-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(DEMO, dir, { recursive: true });
  const serve = ServeProcess.start([
    '--manifests', dir, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--debounce-ms', '20', '--debounce-max-ms', '200', '--quiet',
  ]);
  t.after(() => serve.kill());
  const listening = await serve.listening;
  return { dir, admin: `http://${listening.admin}`, xds: listening.xds[0] as string, serve };
}

/** GETs a JSON page of the admin server. */
export async function getJson<T>(base: string, page: string): Promise<T> {
  const res = await fetch(`${base}${page}`);
  assert.equal(res.status, 200, `${page} answers 200`);
  return (await res.json()) as T;
}

/** Polls `read` until `done` holds for its value (a wait for the server to apply something, not a timing claim). */
export async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string, tries = 300): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < tries; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: never happened; last value ${JSON.stringify(last)?.slice(0, 2000)}`);
}

/**
 * A pod's proxy on one SotW stream: it asks for clusters and listeners and ACKs every response, except that a proxy
 * told to hold keeps its first listener response un-ACKed (STALE) until `release`.
 */
export class FakeProxy {
  readonly nodeId: string;
  #held: SotwResponse | undefined;
  #holding: boolean;

  private constructor(readonly stream: RawStream<SotwResponse>, pod: Pod, hold: boolean) {
    const node = podProxyNode(pod, 'sidecar');
    this.nodeId = node.id;
    this.#holding = hold;
    stream.send({ node, type_url: TypeUrl.Cluster });
    stream.send({ type_url: TypeUrl.Listener });
  }

  /** Connects as `pod`'s sidecar (closed after the test) and answers until the stream ends. */
  static connect(t: TestContext, xds: string, pod: Pod, hold: boolean): FakeProxy {
    const proxy = new FakeProxy(openSotw(xds), pod, hold);
    t.after(() => proxy.stream.close());
    void proxy.#answer();
    return proxy;
  }

  /** ACKs the held listener response; from now on everything is ACKed. */
  release(): void {
    assert.ok(this.#held, 'a held LDS response');
    this.#holding = false;
    this.#ack(this.#held);
    this.#held = undefined;
  }

  async #answer(): Promise<void> {
    for (;;) {
      const res = await this.stream.next(3_600_000).catch(() => undefined);
      if (!res) return;
      if (this.#holding && res.type_url === TypeUrl.Listener && !this.#held) this.#held = res;
      else this.#ack(res);
    }
  }

  #ack(res: SotwResponse): void {
    this.stream.send({ type_url: res.type_url, version_info: res.version_info, response_nonce: res.nonce });
  }
}

/** The trimmed text of the first element matching `selector`, or a marker when there is none yet. */
async function textOf(page: Page, selector: string): Promise<string> {
  const node = await page.$(selector);
  return node ? ((await node.textContent()) ?? '').trim() : '(no such element)';
}

/**
 * Waits until the page's element `selector` reads `expected`; fails with what it read instead. Polled from here, not
 * inside the page, whose Content-Security-Policy forbids the eval an in-page predicate would need.
 */
export async function expectText(page: Page, selector: string, expected: string, what: string): Promise<void> {
  let actual = await textOf(page, selector);
  for (let i = 0; i < 300 && actual !== expected; i++) {
    await new Promise((r) => setTimeout(r, 100));
    actual = await textOf(page, selector);
  }
  assert.equal(actual, expected, what);
}
