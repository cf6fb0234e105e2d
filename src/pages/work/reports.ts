import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import { DepartmentCode, IsoDate } from '../../schemas';
import { departmentReport } from '../../queries/reports';
import { reportWithTrend } from '../../queries/report-views';
import { reportCsv, reportFileNames, reportXlsx } from '../../exports/department-report';
import { AppError } from '../../errors';
import { fieldMessage } from '../messages';
import { countColumns, rateBars, rateText } from '../charts';
import type { UserActor } from '../../domain/lifecycle';
import { listDepartments } from '../../queries/reference';

const Period = z.object({ from: IsoDate, to: IsoDate, department: DepartmentCode.optional() });

/** The rates of DESIGN §9 as the table heads them, in order. */
const RATES = [
  ['signedOnTime', '按时签收率'],
  ['repliedOnTime', '按时办结率'],
  ['resolved', '解决率'],
  ['satisfaction', '满意率'],
  ['reopenRate', '重办率'],
] as const;

const localToday = (d: Date, tz: string) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);

/**
 * The reports page (统计监测, issue 10, DESIGN §9) for the coordinator, supervisors, the admin
 * and a department head (their own department only, as `departmentReport` decides):
 * `GET /work/reports?from=&to=&department=` — the table with every rate as a percentage and
 * the exact fraction, and SVG charts (on-time sign and reply rates by department,
 * satisfaction, the monthly trend of received and overdue); the period defaults to the year
 * so far. `GET /work/reports/download.csv|.xlsx?…` sends the API's export of the same report.
 */
export function reportPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  /** The period asked for, or this year so far; the head's department is theirs. */
  function period(ctx: Context, actor: UserActor) {
    const today = localToday(deps.clock.now(), tz);
    const raw = {
      from: typeof ctx.query.from === 'string' && ctx.query.from ? ctx.query.from : `${today.slice(0, 4)}-01-01`,
      to: typeof ctx.query.to === 'string' && ctx.query.to ? ctx.query.to : today,
      department: typeof ctx.query.department === 'string' && ctx.query.department ? ctx.query.department : undefined,
    };
    if (actor.role === 'handler') raw.department = actor.departmentCode ?? undefined;
    return { raw, parsed: Period.safeParse(raw) };
  }

  router.get('/work/reports', async (ctx) => {
    const { actor, account } = requireStaff(ctx, 'coordinator', 'supervisor', 'admin', 'handler');
    if (account.role === 'handler' && !account.isHead) throw new AppError(403, 'wrong-role', 'only the head of a department reads its report');
    const { raw, parsed } = period(ctx, actor);
    const errors: Record<string, string> = {};
    if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0])] ??= fieldMessage(String(i.path[0]), 'invalid_date');
    let r: Awaited<ReturnType<typeof reportWithTrend>> | null = null;
    if (parsed.success) {
      try {
        r = await reportWithTrend(deps, actor, parsed.data);
      } catch (e) {
        if (!(e instanceof AppError) || e.status !== 400) throw e;
        for (const x of e.errors) errors[x.field] ??= fieldMessage(x.field, x.code);
      }
    }
    const departments = r ? [...r.report.names].map(([code, name]) => ({ code, name })) : [];
    const rows = r ? r.report.items.map((f) => ({ ...f, name: r.report.names.get(f.departmentCode) ?? f.departmentCode })) : [];
    const charts = r
      ? [
          rateBars(
            'chart-sign',
            '按时签收率（按部门）',
            rows.map((x) => ({ label: x.name, rate: x.signedOnTime })),
          ),
          rateBars(
            'chart-reply',
            '按时办结率（按部门）',
            rows.map((x) => ({ label: x.name, rate: x.repliedOnTime })),
          ),
          rateBars(
            'chart-satisfaction',
            '满意率（按部门）',
            rows.map((x) => ({ label: x.name, rate: x.satisfaction })),
            '#00703c',
          ),
        ]
      : [];
    const trend = r?.trend.length
      ? countColumns(
          'chart-trend',
          '每月受理量与逾期未办结',
          r.trend.map((m) => `${Number(m.month.slice(5))}月`),
          [
            { name: '受理', fill: '#1d70b8', values: r.trend.map((m) => m.received) },
            { name: '逾期未办结', fill: '#d4351c', values: r.trend.map((m) => m.overdueOpen) },
          ],
        )
      : null;
    const q = new URLSearchParams({ from: raw.from, to: raw.to, ...(raw.department && actor.role !== 'handler' ? { department: raw.department } : {}) }).toString();
    kit.show(
      ctx,
      'work/reports',
      '统计报表',
      {
        values: raw,
        errors,
        summary: Object.entries(errors).map(([k, text]) => ({ href: `#f-${k}`, text })),
        rows,
        charts,
        trend,
        trendRows: r?.trend ?? [],
        rates: RATES,
        rate: rateText,
        asOf: r ? r.report.asOf.toISOString() : null,
        query: q,
        head: actor.role === 'handler',
        allDepartments: actor.role === 'handler' ? [] : await departmentChoices(deps),
        departments,
      },
      Object.keys(errors).length ? 400 : 200,
    );
  });

  for (const format of ['csv', 'xlsx'] as const) {
    router.get(`/work/reports/download.${format}`, async (ctx) => {
      const { actor, account } = requireStaff(ctx, 'coordinator', 'supervisor', 'admin', 'handler');
      if (account.role === 'handler' && !account.isHead) throw new AppError(403, 'wrong-role', 'only the head of a department reads its report');
      const { parsed } = period(ctx, actor);
      if (!parsed.success) throw new AppError(400, 'validation-failed', 'from and to must be dates');
      const r = await departmentReport(deps, actor, parsed.data);
      const info = { from: r.from, to: r.to, asOf: r.asOf, tz, names: r.names };
      const name = reportFileNames(r.from, r.to);
      ctx.set('Content-Disposition', `attachment; filename="${name.ascii}.${format}"; filename*=UTF-8''${encodeURIComponent(`${name.zh}.${format}`)}`);
      ctx.set('Cache-Control', 'no-store');
      if (format === 'csv') {
        ctx.type = 'text/csv; charset=utf-8';
        ctx.body = reportCsv(r.items, info);
      } else {
        ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
        ctx.body = await reportXlsx(r.items, info);
      }
    });
  }
}

/** The departments a report may be narrowed to (the active ones, as the report lists them). */
async function departmentChoices(deps: PageKit['deps']): Promise<{ code: string; name: string }[]> {
  return (await listDepartments(deps.db.manager)).filter((d) => d.active).map((d) => ({ code: d.code, name: d.nameZh }));
}
