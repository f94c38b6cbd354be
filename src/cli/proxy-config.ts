// `biplane proxy-config listeners|clusters|routes|endpoints|all <pod>`: one connected proxy's live configuration
// from a running `biplane serve` (/debug/config_dump), as tables with both families side by side, or as is.
import { stringify } from 'yaml';
import { DUMP_SECTIONS, dumpSection, type DumpSection } from '../inspect/config-dump.ts';
import { sectionTable } from '../inspect/config-tables.ts';
import { matchProxy } from '../inspect/pod-match.ts';
import { readSyncz } from '../inspect/syncz.ts';
import { renderTable } from '../inspect/table.ts';
import { adminJson, adminTarget, DEFAULT_ADMIN_URL, type AdminTarget } from './admin-client.ts';
import type { Command } from './main.ts';
import { readCommandFlags, usageExit } from './args.ts';

const USAGE = `usage: biplane proxy-config listeners|clusters|routes|endpoints|all <pod> [--admin URL] [--admin-token FILE]
                            [-o table|json|yaml]

Shows what biplane serve is sending one connected proxy, like istioctl proxy-config: listeners with all their
addresses (both families), clusters with their DNS lookup family and bind sources (127.0.0.6, ::6), routes with
their name and IP domains, endpoints with every address of each endpoint on one row.

<pod> is name.namespace, namespace/name or the proxy's node id (see biplane proxy-status).

flags:
  --admin URL          biplane's admin server (default ${DEFAULT_ADMIN_URL}; http://[::1]:15014 and host:port work too)
  --admin-token FILE   send the bearer token in FILE (when serve was started with --admin-token)
  -o, --output FORMAT  table (default), json or yaml (the config dump section as is; all: the whole dump)
  --help

exit codes: 0 shown, 1 unknown or ambiguous pod or the admin server could not be read, 2 usage error`;

type What = DumpSection | 'all';
const WHAT: readonly What[] = ['listeners', 'clusters', 'routes', 'endpoints', 'all'];

/** The parsed command line, or the usage problem. */
type Flags =
  | { readonly what: What; readonly pod: string; readonly admin: string; readonly token?: string; readonly output: 'table' | 'json' | 'yaml' }
  | { readonly usage: string }
  | { readonly help: true };

function parseFlags(argv: readonly string[]): Flags {
  const read = readCommandFlags(argv, {
    admin: { type: 'string', default: DEFAULT_ADMIN_URL },
    'admin-token': { type: 'string' },
    output: { type: 'string', short: 'o', default: 'table' },
  }, true);
  if (!('values' in read)) return read;
  const { values, positionals } = read;
  const [what, pod, ...extra] = positionals;
  if (what === undefined || !(WHAT as readonly string[]).includes(what)) {
    return { usage: `first give what to show, one of ${WHAT.join('|')}${what === undefined ? '' : `, not ${JSON.stringify(what)}`}` };
  }
  if (pod === undefined || extra.length > 0) return { usage: 'give exactly one <pod>' };
  const output = values.output;
  if (output !== 'table' && output !== 'json' && output !== 'yaml') return { usage: `-o must be table, json or yaml, got ${JSON.stringify(output)}` };
  const token = values['admin-token'];
  return { what: what as What, pod, admin: values.admin, output, ...(token !== undefined ? { token } : {}) };
}

/** The config dump of the proxy `pod` names, or the reason there is none. */
async function fetchDump(target: AdminTarget, pod: string): Promise<unknown> {
  const syncz = await adminJson(target, 'debug/syncz');
  if (syncz instanceof Error) return syncz;
  const match = matchProxy(pod, readSyncz(syncz));
  if ('error' in match) return new Error(match.error);
  return adminJson(target, 'debug/config_dump', { proxyID: match.nodeId });
}

/** What the command prints for a dump. */
function render(dump: unknown, what: What, output: 'table' | 'json' | 'yaml'): string {
  const sections = what === 'all' ? DUMP_SECTIONS : [what];
  if (output !== 'table') {
    const value = what === 'all' ? dump : (dumpSection(dump, what) ?? {});
    return output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
  }
  const table = (s: DumpSection): string => renderTable(sectionTable(dump, s));
  return what === 'all' ? sections.map((s) => `${s.toUpperCase()}\n${table(s)}`).join('\n') : table(what);
}

/** `proxy-config` command. */
export const command: Command = {
  summary: "show one connected proxy's live listeners, clusters, routes and endpoints, both families side by side",
  async run(argv) {
    const flags = parseFlags(argv);
    if ('help' in flags || 'usage' in flags) return usageExit('proxy-config', USAGE, flags);
    const target = await adminTarget(flags.admin, flags.token);
    if (typeof target === 'string') {
      console.error(`biplane proxy-config: ${target}`);
      return 2;
    }
    const dump = await fetchDump(target, flags.pod);
    if (dump instanceof Error) {
      console.error(`biplane proxy-config: ${dump.message}`);
      return 1;
    }
    process.stdout.write(render(dump, flags.what, flags.output));
    return 0;
  },
};
