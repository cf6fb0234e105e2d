import { bootForCli } from './common';
import { parseArgs, flag, UsageError } from './args';
import { rebuildFigures, refreshFigures } from '../commands/figures';
import { departmentsFigures, rawDepartmentsFigures } from '../commands/reports';
import { Department } from '../entities';
import { addCalendarDays } from '../domain/calendar';
import { startOfLocalDay } from '../domain/deadline';

export const FIGURES_USAGE = `figures [--rebuild] [--verify --from YYYY-MM-DD --to YYYY-MM-DD]
    Brings the maintained report figures up to date (docs/decisions/reporting.md): every
    ticket still marked is recomputed (the workers do this on every sweep). --rebuild marks
    every ticket first (after a bulk load or a change of BUSINESS_TZ; safe while the service
    runs). --verify then compares the figures of every department over the period (dates
    inclusive, business time zone) with the computation over the raw rows, for every
    viewer department; exit code 1 on any difference.`;

/** `figures`: returns the exit code. */
export async function figuresCommand(argv: string[]): Promise<number> {
  const a = parseArgs(argv, { values: ['from', 'to'], booleans: ['rebuild', 'verify'] });
  if (a.flags.help) {
    process.stdout.write(`${FIGURES_USAGE}\n`);
    return 0;
  }
  if (a.positionals.length) throw new UsageError('figures takes no arguments');
  const from = flag(a, 'from');
  const to = flag(a, 'to');
  const verify = a.flags.verify === true;
  const date = /^\d{4}-\d{2}-\d{2}$/;
  if (verify && (!from || !to || !date.test(from) || !date.test(to) || to < from)) throw new UsageError('--verify needs --from and --to as YYYY-MM-DD, from ≤ to');
  const deps = await bootForCli();
  try {
    const tz = deps.config.businessTz;
    const started = Date.now();
    const o = { tz, now: deps.clock.now(), batch: 1000 };
    const r = a.flags.rebuild === true ? await rebuildFigures(deps.db, o) : await refreshFigures(deps.db, o);
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
