// `biplane capture`: prints, applies or removes a pod's traffic capture rules. Flags (or a pod from a manifest
// folder) become a CaptureConfig; src/capture turns it into rules and, for --apply / --clean, runs the tools.
import { applyCapture, captureRules, cleanCapture, DEFAULT_CAPTURE, policyRoutingScript } from '../capture/index.ts';
import type { CaptureConfig, CaptureRules } from '../capture/index.ts';
import { CAPTURE_USAGE, parseCaptureFlags } from '../capture/flags.ts';
import type { CaptureFlags } from '../capture/flags.ts';
import { podCaptureFromManifests } from '../capture/manifests.ts';
import type { Problem } from '../model/types.ts';
import { usageExit } from './args.ts';
import type { Command } from './main.ts';

function printable(rules: CaptureRules, config: CaptureConfig): string {
  const parts = [rules.iptables?.v4, rules.iptables?.v6, rules.nftables].filter((t): t is string => t !== undefined);
  const routes = [...(rules.routes?.v4 ?? []), ...(rules.routes?.v6 ?? [])];
  const routing = { mark: config.tproxyMark, table: config.tproxyRouteTable };
  if (routes.length > 0) parts.push(policyRoutingScript(routes, routing));
  return parts.join('\n');
}

function where(p: Problem): string {
  const { file, line } = p.origin;
  return file ? `${file}${line ? `:${line}` : ''}: ` : '';
}

async function configFor(flags: CaptureFlags): Promise<CaptureConfig> {
  if (flags.manifests === undefined && flags.pod !== undefined) throw new Error('--pod needs --manifests DIR');
  if (flags.manifests !== undefined) {
    if (flags.pod === undefined) throw new Error('--manifests needs --pod NAMESPACE/NAME');
    const { capture, problems, context } = await podCaptureFromManifests(flags.manifests, flags.pod);
    for (const p of context) console.error(`note: ${where(p)}${p.message}`);
    if (!capture || problems.length > 0) throw new Error(problems.map((p) => `${where(p)}${p.message}`).join('\n'));
    return { ...DEFAULT_CAPTURE, ...capture, ...flags.explicit };
  }
  if (flags.explicit.ips === undefined) throw new Error('--ips (or --manifests DIR --pod NS/NAME) is required');
  return { ...DEFAULT_CAPTURE, ips: flags.explicit.ips, ...flags.explicit };
}

async function run(argv: readonly string[]): Promise<number> {
  let flags: CaptureFlags;
  try {
    flags = parseCaptureFlags(argv);
  } catch (err) {
    return usageExit('capture', CAPTURE_USAGE, { usage: (err as Error).message });
  }
  if (flags.help) return usageExit('capture', CAPTURE_USAGE, { help: true });
  try {
    if (flags.action === 'clean') {
      const { backend, tproxyMark, tproxyRouteTable } = { ...DEFAULT_CAPTURE, ...flags.explicit };
      await cleanCapture(backend, { mark: tproxyMark, table: tproxyRouteTable });
      return 0;
    }
    const config = await configFor(flags);
    if (flags.action === 'apply') await applyCapture(config);
    else process.stdout.write(printable(captureRules(config), config));
    return 0;
  } catch (err) {
    console.error(`biplane capture: ${(err as Error).message}`);
    return 1;
  }
}

/** The `capture` command for src/cli/main.ts. */
export const command: Command = {
  summary: 'print, apply or remove a pod\'s dual-stack traffic capture rules (iptables / nftables, REDIRECT / TPROXY)',
  run,
};
