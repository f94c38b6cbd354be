// Where the admin server is: `--admin` as a URL (`http://[::1]:15014`) or a bare `host:port` (`127.0.0.1:15014`,
// `[::1]:15014`, serve's own `--admin-address` form).

/** The admin base URL, or undefined when `text` is neither an http(s) URL nor host:port. */
export function adminUrl(text: string): URL | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') return undefined;
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  return url;
}

/** The URL of an admin page (`debug/syncz`, with query) below the base, keeping any path prefix the base has. */
export function adminPage(base: URL, page: string, query: Readonly<Record<string, string>> = {}): URL {
  const url = new URL(page.replace(/^\//, ''), base);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  return url;
}
