// The server tests' one fixture: `startServer` on a temp manifest folder (the e2e service plus a pod `who-0`), xDS
// on an ephemeral IPv4 port, and everything it opened — streams, clients, the server, the folder — closed after the
// test, streams first.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { startServer } from '../../src/server/pipeline.ts';
import type { ServerHandle, ServerOptions } from '../../src/server/pipeline.ts';
import { FileSource } from '../../src/sources/files/index.ts';
import { Manifests } from '../e2e/harness.ts';
import { openDelta, openSotw } from '../xds/raw-client.ts';
import type { DeltaResponse, RawStream, SotwResponse } from '../xds/raw-client.ts';

/** What a test gets: the folder, the running server, and streams (or any closable) that end before it. */
export interface ServedFolder {
  readonly manifests: Manifests;
  readonly server: ServerHandle;
  /** The server's xDS address. */
  readonly xds: string;
  sotw(): RawStream<SotwResponse>;
  delta(): RawStream<DeltaResponse>;
  /** Closes `c` after the test, before the server stops. */
  track<C extends { close(): void }>(c: C): C;
}

/** How the folder is laid out and the server set up. */
export interface FolderOptions {
  /** The IPs of pod `who-0` (default dual-stack); `false` for no pod. */
  readonly podIps?: readonly string[] | false;
  /** Extra files, name → content, written before the server starts. */
  readonly files?: Readonly<Record<string, string>>;
  /** Server options over the fixture's (admin on 127.0.0.1:0, 20 ms debounce, 200 ms cap). */
  readonly server?: Partial<ServerOptions>;
}

/** Starts a server on a fresh folder laid out as `options` says; it all ends with `t`. */
export async function serveFolder(t: TestContext, options: FolderOptions = {}): Promise<ServedFolder> {
  const manifests = await Manifests.create();
  if (options.podIps !== false) await manifests.writePod('who-0', options.podIps ?? ['10.244.0.10', 'fd00:10:244::10'], 8080);
  for (const [name, text] of Object.entries(options.files ?? {})) await writeFile(path.join(manifests.dir, name), text);
  const server = await startServer({
    source: new FileSource({ path: manifests.dir, debounceMs: 10 }),
    xdsAddresses: ['127.0.0.1:0'],
    adminAddress: '127.0.0.1:0',
    debounceMs: 20,
    debounceMaxMs: 200,
    ...options.server,
  });
  const open: { close(): void }[] = [];
  t.after(async () => {
    for (const c of open) c.close();
    await server.stop();
    await manifests.remove();
  });
  const track = <C extends { close(): void }>(c: C): C => (open.push(c), c);
  const xds = server.xdsAddresses[0] as string;
  return { manifests, server, xds, track, sotw: () => track(openSotw(xds)), delta: () => track(openDelta(xds)) };
}
