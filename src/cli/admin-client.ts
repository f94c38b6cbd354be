// The inspection commands' one piece of I/O: GET a page of biplane's admin server (with the bearer token when one
// is given) and turn every way that fails into one sentence.
import { readFile } from 'node:fs/promises';
import { adminPage, adminUrl } from '../inspect/admin-url.ts';
import { DEFAULT_ADMIN_ADDRESS } from '../server/pipeline.ts';

/** `--admin` default: where `biplane serve` puts its admin server by default. */
export const DEFAULT_ADMIN_URL = `http://${DEFAULT_ADMIN_ADDRESS}`;

/** How long one admin request may take before the command gives up (a hung server, not a slow one). */
const REQUEST_TIMEOUT_MS = 30_000;

/** A resolved admin server: base URL and the token to send, if any. */
export interface AdminTarget {
  readonly base: URL;
  readonly token?: string;
}

/** The target from `--admin` and `--admin-token FILE`; a string is the problem with them. */
export async function adminTarget(admin: string, tokenFile: string | undefined): Promise<AdminTarget | string> {
  const base = adminUrl(admin);
  if (!base) return `--admin must be a URL like http://127.0.0.1:15014 or http://[::1]:15014, got ${JSON.stringify(admin)}`;
  if (tokenFile === undefined) return { base };
  const token = await readFile(tokenFile, 'utf8').then((t) => t.trim(), (err: Error) => err);
  if (token instanceof Error) return `--admin-token: cannot read ${tokenFile}: ${token.message}`;
  if (token === '') return `--admin-token: ${tokenFile} is empty`;
  return { base, token };
}

/** The JSON of an admin page, or an Error whose message says what went wrong and what to try. */
export async function adminJson(target: AdminTarget, page: string, query: Readonly<Record<string, string>> = {}): Promise<unknown> {
  const url = adminPage(target.base, page, query);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token !== undefined) headers['authorization'] = `Bearer ${target.token}`;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    return new Error(`cannot reach the biplane admin server at ${target.base.origin} (${why}); is \`biplane serve\` running? (--admin URL)`);
  }
  const body = await res.text();
  if (res.status === 401 || res.status === 403) {
    const hint = target.token === undefined ? 'it wants a token: --admin-token FILE' : 'the token in --admin-token was refused';
    return new Error(`the admin server at ${target.base.origin} answered ${res.status}: ${hint}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return new Error(`${url.pathname} answered ${res.status} with something other than JSON: ${body.slice(0, 200)}`);
  }
  if (!res.ok) {
    const error = (json as { error?: unknown } | null)?.error;
    return new Error(`${url.pathname} answered ${res.status}: ${typeof error === 'string' ? error : body.slice(0, 200)}`);
  }
  return json;
}
