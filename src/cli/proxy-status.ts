// `biplane proxy-status`: one row per proxy connected to a running `biplane serve`, from its admin server's
// /debug/syncz: IP mode and addresses, each xDS type SYNCED / STALE / NACKED, the age of the last push.
import { formatStatus } from '../inspect/status.ts';
import { readSyncz } from '../inspect/syncz.ts';
import { adminJson, adminTarget, DEFAULT_ADMIN_URL } from './admin-client.ts';
import type { Command } from './main.ts';
import { commandFlags, usageExit } from './args.ts';

const USAGE = `usage: biplane proxy-status [--admin URL] [--admin-token FILE] [-o table|json]

Shows every proxy connected to a running biplane serve, like istioctl proxy-status: its IP mode and addresses,
per xDS type (CDS, LDS, EDS, RDS) whether what it was last sent is SYNCED (ACKed), STALE (not answered yet) or
NACKED (rejected; the error is listed under the table), NOT SENT, or - (not subscribed), and how long ago it was
last pushed.

flags:
  --admin URL          biplane's admin server (default ${DEFAULT_ADMIN_URL}; http://[::1]:15014 and host:port work too)
  --admin-token FILE   send the bearer token in FILE (when serve was started with --admin-token)
  -o, --output FORMAT  table (default) or json (the proxies of /debug/syncz as is)
  --help

exit codes: 0 shown, 1 the admin server could not be read, 2 usage error`;

/** `proxy-status` command. */
export const command: Command = {
  summary: 'show every connected proxy: IP mode, per-type SYNCED / STALE / NACKED, last push (like istioctl)',
  async run(argv) {
    const values = commandFlags('proxy-status', USAGE, argv, {
      admin: { type: 'string', default: DEFAULT_ADMIN_URL },
      'admin-token': { type: 'string' },
      output: { type: 'string', short: 'o', default: 'table' },
    });
    if (typeof values === 'number') return values;
    if (values.output !== 'table' && values.output !== 'json') {
      return usageExit('proxy-status', USAGE, { usage: `-o must be table or json, got ${JSON.stringify(values.output)}` });
    }
    const target = await adminTarget(values.admin, values['admin-token']);
    if (typeof target === 'string') {
      console.error(`biplane proxy-status: ${target}`);
      return 2;
    }
    const page = await adminJson(target, 'debug/syncz');
    if (page instanceof Error) {
      console.error(`biplane proxy-status: ${page.message}`);
      return 1;
    }
    const proxies = (page as { proxies?: unknown }).proxies;
    process.stdout.write(values.output === 'json' ? `${JSON.stringify(proxies ?? [], null, 2)}\n` : formatStatus(readSyncz(page), Date.now()));
    return 0;
  },
};
