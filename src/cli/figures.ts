import { bootForCli } from './common';
import { parseArgs, flag, UsageError } from './args';
import { rebuildFigures, refreshFigures } from '../commands/figures';
import { departmentsFigures, rawDepartmentsFigures } from '../commands/reports';
import { Department } from '../entities';
import { addCalendarDays, isValidIsoDate } from '../domain/calendar';
import { startOfLocalDay } from '../domain/deadline';

export const FIGURES_USAGE = `figures [--rebuild] [--verify --from YYYY-MM-DD --to YYYY-MM-DD]
    Brings the maintained report figures up to date (docs/decisions/reporting.md): every
    ticket still marked is recomputed (the workers do this on every sweep). --rebuild marks
    every ticket first (after a bulk load or a change of BUSINESS_TZ; safe while the service
    runs). --verify then compares the figures of every department over the period (dates
    inclusive, business time zone) with the computation over the raw rows, for every
    viewer department; exit code 1 on any difference. --from and --to go only with
    --verify; a date that is not a real day, or --to before --from, is refused before
    anything is done (exit code 2).`;

/** What `figures` was asked to do, read from its arguments before anything is touched. */
export type FiguresArgs = { help: true } | { help: false; rebuild: boolean; verify: { from: string; to: string } | null };

/**
 * The arguments of `figures`, checked before the database is opened: a refused line changes
 * nothing (the refresh does not run) and exits 2 (a usage error), never 1 ("differences found").
 * @throws UsageError: an argument; an unknown option; `--from`/`--to` without `--verify` (they
 *   would be ignored); `--verify` without both; a date that is not a real day (`2026-02-30`);
 *   `--to` before `--from`
 */
export function figuresArgs(argv: string[]): FiguresArgs {
  const a = parseArgs(argv, { values: ['from', 'to'], booleans: ['rebuild', 'verify'] });
  if (a.flags.help) return { help: true };
  if (a.positionals.length) throw new UsageError('figures takes no arguments');
  const from = flag(a, 'from');
  const to = flag(a, 'to');
  const rebuild = a.flags.rebuild === true;
  if (a.flags.verify !== true) {
    if (from !== undefined || to !== undefined) throw new UsageError('--from and --to only go with --verify (they name the period it compares)');
    return { help: false, rebuild, verify: null };
  }
  if (from === undefined || to === undefined) throw new UsageError('--verify needs --from and --to (YYYY-MM-DD)');
  for (const [name, d] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!isValidIsoDate(d)) throw new UsageError(`--${name} ${d} is not a date YYYY-MM-DD (a real day of the calendar)`);
  }
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
  return { help: false, rebuild, verify: { from, to } };
}

/** `figures`: returns the exit code. */
export async function figuresCommand(argv: string[]): Promise<number> {
  const args = figuresArgs(argv);
  if (args.help) {
    process.stdout.write(`${FIGURES_USAGE}\n`);
    return 0;
  }
  const { from, to } = args.verify ?? {};
  const verify = args.verify !== null;
  const deps = await bootForCli();
  try {
    const tz = deps.config.businessTz;
    const started = Date.now();
    const o = { tz, now: deps.clock.now(), batch: 1000 };
    const r = args.rebuild ? await rebuildFigures(deps.db, o) : await refreshFigures(deps.db, o);
    process.stdout.write(`${r.tickets} ticket(s) refreshed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    if (!verify) return 0;
    const codes = (await deps.db.getRepository(Department).find({ order: { code: 'ASC' } })).map((d) => d.code);
    const range = { from: startOfLocalDay(from!, tz), to: startOfLocalDay(addCalendarDays(to!, 1), tz) };
    const cal = await deps.calendar.get(deps.db.manager);
    const now = deps.clock.now();
    let differ = 0;
    for (const viewer of [null, ...codes]) {
      const o = { hideAccusedOf: viewer };
      const kept = await departmentsFigures(deps.db.manager, codes, range, cal, tz, now, o);
      const raw = await rawDepartmentsFigures(deps.db.manager, codes, range, cal, tz, now, o);
      for (const [i, k] of kept.entries()) {
        if (JSON.stringify(k) === JSON.stringify(raw[i])) continue;
        differ++;
        process.stdout.write(`differs: ${k.departmentCode} (viewer ${viewer ?? 'any'})\n  maintained ${JSON.stringify(k)}\n  raw rows   ${JSON.stringify(raw[i])}\n`);
      }
    }
    process.stdout.write(`${codes.length} department(s) × ${codes.length + 1} viewer(s) ${from}..${to}: ${differ} difference(s)\n`);
    return differ ? 1 : 0;
  } finally {
    await deps.db.destroy();
  }
}
