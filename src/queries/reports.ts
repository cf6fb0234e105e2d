import { In } from 'typeorm';
import { Department } from '../entities';
import type { AppDeps } from '../deps';
import type { UserActor } from '../domain/lifecycle';
import { addCalendarDays } from '../domain/calendar';
import { startOfLocalDay } from '../domain/deadline';
import { fieldError, forbidden } from '../errors';
import { departmentsFigures, DepartmentFigures } from '../commands/reports';
import { readLagTolerant } from '../replicas';
import { catchUpFigures } from '../commands/figures';
import { withStatementTimeout } from '../db';

/** Longest period one report may cover, in calendar days (a leap year). */
export const MAX_REPORT_DAYS = 366;

/** Calendar days from one ISO date to another (both 'YYYY-MM-DD'). */
const daysBetween = (a: string, b: string) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;

/** A department report: the figures of each department over the period, and their Chinese names. */
export interface DepartmentReport {
  from: string;
  to: string;
  asOf: Date;
  items: DepartmentFigures[];
  names: Map<string, string>;
}

/**
 * Department reporting (统计监测, DESIGN §9): the coordinator, supervisors and the admin read
 * every active department (or `department`); a department head only their own; anyone else
 * 403. Open integrity reports never count in the viewer's own department's figures.
 * @param p `from`/`to` are business-time-zone dates, both inclusive, at most 366 days apart
 * Its statements (aggregates over up to a year of tickets) have the reports' own bound,
 * `DATABASE_REPORT_STATEMENT_TIMEOUT_MS`, not the request's (docs/deployment.md).
 * @throws 403 `forbidden`; 400 on `department` (`unknown`), `to` (`before_from`, `range_too_long`)
 */
export function departmentReport(deps: AppDeps, actor: UserActor, p: { from: string; to: string; department?: string }): Promise<DepartmentReport> {
  return withStatementTimeout(deps.config.databaseReportStatementTimeoutMs, () => readDepartmentReport(deps, actor, p));
}

async function readDepartmentReport(deps: AppDeps, actor: UserActor, p: { from: string; to: string; department?: string }): Promise<DepartmentReport> {
  let codes: string[];
  const departments = deps.db.getRepository(Department);
  if (actor.role === 'handler') {
    if (!actor.isHead || !actor.departmentCode) throw forbidden('only the head of a department reads its report');
    if (p.department && p.department !== actor.departmentCode) throw forbidden("a department head reads only their own department's report");
    codes = [actor.departmentCode];
  } else if (['coordinator', 'supervisor', 'admin'].includes(actor.role)) {
    if (p.department) {
      if (!(await departments.findOneBy({ code: p.department }))) throw fieldError('department', 'unknown', `unknown department ${p.department}`, 400);
      codes = [p.department];
    } else {
      codes = (await departments.find({ where: { active: true }, order: { code: 'ASC' } })).map((d) => d.code);
    }
  } else {
    throw forbidden('reports are read by the coordinator, supervisors, the admin and department heads');
  }
  if (p.to < p.from) throw fieldError('to', 'before_from', `must not be before from (${p.from})`, 400);
  if (daysBetween(p.from, p.to) + 1 > MAX_REPORT_DAYS) throw fieldError('to', 'range_too_long', `a report covers at most ${MAX_REPORT_DAYS} days`, 400);
  const tz = deps.config.businessTz;
  const now = deps.clock.now();
  const range = { from: startOfLocalDay(p.from, tz), to: startOfLocalDay(addCalendarDays(p.to, 1), tz) };
  const cal = await deps.calendar.get(deps.db.manager);
  // lag-tolerant: on a replica when there is one and the viewer wrote nothing just now (src/replicas.ts)
  const maintained = await catchUpFigures(deps.db, tz, now);
  const items = await readLagTolerant(deps, actor, (em) => departmentsFigures(em, codes, range, cal, tz, now, { hideAccusedOf: actor.departmentCode, maintained }));
  const names = new Map((await departments.findBy({ code: In(codes) })).map((d) => [d.code, d.nameZh]));
  return { from: p.from, to: p.to, asOf: now, items, names };
}
