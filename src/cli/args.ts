// One way every command reads its flags: node:util's parseArgs with `--help` always known, a bad flag printed with
// the command's usage (exit 2) and `--help` printing it (exit 0).
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; default: false } };
/** The values parseArgs gives for these options (and `help`). */
export type FlagValues<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O> }>>['values'];

/**
 * `biplane <name>`'s flags from `argv`: the values, or the exit code once the usage was printed (0 for `--help`, 2 with
 * the reason for an unknown or malformed flag).
 */
export function commandFlags<const O extends Options>(name: string, usage: string, argv: readonly string[], options: O): FlagValues<O> | number {
  const all = { ...options, help: { type: 'boolean', default: false } } as WithHelp<O>;
  let values: FlagValues<O>;
  try {
    values = parseArgs({ args: [...argv], options: all }).values;
  } catch (err) {
    return usageExit(name, usage, { usage: (err as Error).message });
  }
  return (values as { help?: boolean }).help ? usageExit(name, usage, { help: true }) : values;
}

/** Ends a command whose flags asked for help (usage on stdout, exit 0) or were wrong (reason and usage on stderr, 2). */
export function usageExit(name: string, usage: string, outcome: { readonly help: true } | { readonly usage: string }): number {
  if ('help' in outcome) {
    console.log(usage);
    return 0;
  }
  console.error(`biplane ${name}: ${outcome.usage}\n\n${usage}`);
  return 2;
}
