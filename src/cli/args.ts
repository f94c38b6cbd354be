// One way every command reads its flags: node:util's parseArgs with `--help` always known, a bad flag printed with
// the command's usage (exit 2) and `--help` printing it (exit 0). Commands that check more than parseArgs does read
// with `readCommandFlags` and end through `usageExit`.
import { parseArgs, type ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type WithHelp<O extends Options> = O & { help: { type: 'boolean'; default: false } };
/** The values parseArgs gives for these options (and `help`). */
export type FlagValues<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: WithHelp<O> }>>['values'];

/** What reading a command's flags gave: the values (and positionals), a request for help, or why they are wrong. */
export type FlagsRead<O extends Options> =
  | { readonly values: FlagValues<O>; readonly positionals: string[] }
  | { readonly help: true }
  | { readonly usage: string };

/**
 * Reads `argv` against `options` plus `--help`, printing nothing: the one place commands call parseArgs. Positionals
 * are refused unless `allowPositionals`.
 */
export function readCommandFlags<const O extends Options>(argv: readonly string[], options: O, allowPositionals = false): FlagsRead<O> {
  // A command's own `help` (say with a short `-h`) wins over the default one.
  const all = { help: { type: 'boolean', default: false }, ...options } as WithHelp<O>;
  let parsed: { values: FlagValues<O>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: all, allowPositionals });
  } catch (err) {
    return { usage: (err as Error).message };
  }
  return (parsed.values as { help?: boolean }).help ? { help: true } : parsed;
}

/**
 * `biplane <name>`'s flags from `argv`: the values, or the exit code once the usage was printed (0 for `--help`, 2 with
 * the reason for an unknown or malformed flag).
 */
export function commandFlags<const O extends Options>(name: string, usage: string, argv: readonly string[], options: O): FlagValues<O> | number {
  const read = readCommandFlags(argv, options);
  return 'values' in read ? read.values : usageExit(name, usage, read);
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
