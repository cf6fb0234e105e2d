/**
 * What the workbench's reports page and the supervisors' assessment list show (issue 10),
 * built only from `departmentReport` (DESIGN §9), so they show what the API shows the same
 * viewer and follow its counting rules, whoever computes the figures underneath (issue 15).
 */
import type { AppDeps } from '../deps';
import type { UserActor } from '../domain/lifecycle';
import { assessmentVerdict } from '../domain/veto';
import { type DepartmentReport, departmentReport } from './reports';

/** One calendar month of a period, clipped to it: `month` 'YYYY-MM', `from`/`to` inclusive dates. */
export interface MonthSpan {
  month: string;
  from: string;
  to: string;
}

const lastDayOfMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * The calendar months a period touches, each clipped to the period (both dates inclusive,
 * 'YYYY-MM-DD'): 2026-01-15…2026-03-10 → Jan 15–31, Feb 1–28, Mar 1–10.
 */
export function monthSpans(from: string, to: string): MonthSpan[] {
  const spans: MonthSpan[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  while (`${y}-${pad(m)}` <= to.slice(0, 7)) {
    const first = `${y}-${pad(m)}-01`;
    const last = `${y}-${pad(m)}-${pad(lastDayOfMonth(y, m))}`;
    spans.push({ month: `${y}-${pad(m)}`, from: first < from ? from : first, to: last > to ? to : last });
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return spans;
}

/** Received and still-overdue tickets of one month's cohort, summed over the report's departments. */
export interface TrendPoint extends MonthSpan {
  received: number;
  overdueOpen: number;
}

/** The report of a period with its monthly trend (the reports page). */
export interface ReportWithTrend {
  report: DepartmentReport;
  trend: TrendPoint[];
}

/**
 * The DESIGN §9 report for the period and, per calendar month of it, the tickets received and
 * those of them still open past a deadline (the same cohort rule as the report: by receipt,
 * as of now), summed over the departments the viewer may read.
 * @throws as `departmentReport` (403 for a viewer who reads no report; 400 on the period)
 */
export async function reportWithTrend(deps: AppDeps, actor: UserActor, p: { from: string; to: string; department?: string }): Promise<ReportWithTrend> {
  const report = await departmentReport(deps, actor, p);
  const trend: TrendPoint[] = [];
  for (const span of monthSpans(p.from, p.to)) {
    const r = await departmentReport(deps, actor, { from: span.from, to: span.to, department: p.department });
    trend.push({ ...span, received: r.items.reduce((s, i) => s + i.received, 0), overdueOpen: r.items.reduce((s, i) => s + i.overdueOpen, 0) });
  }
  return { report, trend };
}

/** One department's assessment for a year, as the supervisors' list shows it (DESIGN §7). */
export interface AssessmentRow {
  departmentCode: string;
  departmentName: string;
  vetoed: boolean;
  eligibleForCommendation: boolean;
  substantiatedCases: number;
  figures: DepartmentReport['items'][number];
}

/**
 * Every department's assessment for a business year (考核督查 / 评选表彰, DESIGN §7): the
 * year's report with the verdict of the veto rule for each department.
 * @throws as `departmentReport`
 */
export async function assessmentList(deps: AppDeps, actor: UserActor, year: number): Promise<{ year: number; asOf: Date; items: AssessmentRow[] }> {
  const r = await departmentReport(deps, actor, { from: `${year}-01-01`, to: `${year}-12-31` });
  return {
    year,
    asOf: r.asOf,
    items: r.items.map((f) => ({
      departmentCode: f.departmentCode,
      departmentName: r.names.get(f.departmentCode) ?? f.departmentCode,
      ...assessmentVerdict(f.vetoed),
      substantiatedCases: f.substantiatedIntegrityCases,
      figures: f,
    })),
  };
}
