import { parseArgs as nodeParseArgs } from 'node:util';

/**
 * The CLI's arguments through Node's own `util.parseArgs` (strict): `--name value`,
 * `--name=value`, boolean `--flag` (names listed in `booleans`), `-h`/`--help`, and
 * positionals. Unknown flags are errors, so a typo never silently changes what a command does.
 */
export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | true>;
}

export class UsageError extends Error {}

/** @throws UsageError naming the option (`unknown option --x`, `--x needs a value`, `--x takes no value`) */
export function parseArgs(argv: string[], spec: { values?: string[]; booleans?: string[] } = {}): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const v of spec.values ?? []) options[v] = { type: 'string' };
  for (const b of spec.booleans ?? []) options[b] = { type: 'boolean' };
  let parsed: ReturnType<typeof nodeParseArgs>;
  try {
    parsed = nodeParseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const err = e as { code?: string; message: string };
    const name = /'(-{1,2}[^' ]+)/.exec(err.message)?.[1]?.replace(/^-+/, '') ?? '';
    const long = options[name] ? name : (Object.keys(options).find((k) => options[k].short === name) ?? name);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option --${long}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(options[long]?.type === 'boolean' ? `--${long} takes no value` : `--${long} needs a value`);
    throw new UsageError(err.message);
  }
  const flags: Record<string, string | true> = {};
  for (const [k, v] of Object.entries(parsed.values)) {
    if (v === true || (typeof v === 'string' && v !== '')) flags[k] = v;
    else if (typeof v === 'string') throw new UsageError(`--${k} needs a value`);
  }
  return { positionals: parsed.positionals, flags };
}

/** The string value of a flag, or undefined. */
export const flag = (a: ParsedArgs, name: string): string | undefined => (typeof a.flags[name] === 'string' ? (a.flags[name] as string) : undefined);
