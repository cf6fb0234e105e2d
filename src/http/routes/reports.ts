import Router from '@koa/router';
import type { Context } from 'koa';
import { In } from 'typeorm';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import { z, registry } from '../openapi';
import { route } from '../route';
import { AppDeps, readForLists } from '../deps';
import { DepartmentCode, IsoDate } from '../../schemas';
import { requireRole } from '../auth';
import { Department } from '../../entities';
import { fieldError, forbidden } from '../../errors';
import { departmentsFigures, DepartmentFigures, Fraction } from '../../commands/reports';
import { addCalendarDays } from '../../domain/calendar';
import { startOfLocalDay } from '../../domain/deadline';

/** Longest period one report may cover, in calendar days (a leap year). */
export const MAX_REPORT_DAYS = 366;

const ReportQuery = z.object({
  from: IsoDate.openapi({ description: 'first day of the period (business time zone), inclusive' }),
  to: IsoDate.openapi({ description: 'last day of the period (business time zone), inclusive; at most 366 days after `from`' }),
  format: z.enum(['json', 'csv', 'xlsx']).default('json'),
  department: DepartmentCode.optional().openapi({ description: 'only this department; a department head may name only their own' }),
}).strict();

const FractionSchema = z.object({
  numerator: z.number().int(), denominator: z.number().int(), percent: z.number().nullable(),
}).openapi('Fraction', { description: 'an exact rate; percent rounded half-up to 2 places, null when the denominator is 0' });

const FiguresSchema = registry.register('DepartmentFigures', z.object({
  departmentCode: z.string(),
  from: z.string().openapi({ description: 'first instant of the period (UTC), inclusive' }),
  to: z.string().openapi({ description: 'end of the period (UTC), exclusive' }),
  received: z.number().int(),
  signedOnTime: FractionSchema,
  repliedOnTime: FractionSchema,
  resolved: FractionSchema,
  satisfaction: FractionSchema,
  reopenRate: FractionSchema,
  overdueOpen: z.number().int(),
  oversightOrders: z.object({ level1: z.number().int(), level2: z.number().int(), level3: z.number().int() }),
  averageWorkingDaysToReply: z.string().nullable().openapi({ description: 'working days, decimal string with 2 places' }),
  substantiatedIntegrityCases: z.number().int(),
  vetoed: z.boolean(),
}).openapi({ description: 'DESIGN §9; counting rules in docs/decisions/reporting.md' }));

const ReportResponse = z.object({
  from: z.string(), to: z.string(), asOf: z.string(), items: z.array(FiguresSchema),
});

const pct = (f: Fraction) => f.percent;
type Column = { header: string; width: number; value: (f: DepartmentFigures, name: string) => string | number | null };
type RateKey = 'signedOnTime' | 'repliedOnTime' | 'resolved' | 'satisfaction' | 'reopenRate';
/** A rate as three columns: numerator, denominator, percentage. */
const rateColumns = (key: RateKey, numerator: string, denominator: string, percent: string): Column[] => [
  { header: numerator, width: numerator.length * 2 + 2, value: (f) => f[key].numerator },
  { header: denominator, width: denominator.length * 2 + 2, value: (f) => f[key].denominator },
  { header: percent, width: percent.length + 4, value: (f) => pct(f[key]) },
];

/**
 * Columns of the CSV and XLSX exports: Chinese headers as the district's statistics tables
 * use them (统计监测), each rate as numerator, denominator and percentage.
 */
const COLUMNS: Column[] = [
  { header: '部门代码', width: 10, value: (f) => f.departmentCode },
  { header: '部门名称', width: 28, value: (_f, name) => name },
  { header: '受理量', width: 8, value: (f) => f.received },
  ...rateColumns('signedOnTime', '按时签收数', '应签收数', '按时签收率(%)'),
  ...rateColumns('repliedOnTime', '按时办结数', '应办结数', '按时办结率(%)'),
  ...rateColumns('resolved', '已解决数', '答复数', '解决率(%)'),
  ...rateColumns('satisfaction', '满意数', '评价数', '满意率(%)'),
  ...rateColumns('reopenRate', '重办数', '答复总数', '重办率(%)'),
  { header: '超期未办结数', width: 12, value: (f) => f.overdueOpen },
  { header: '一级催办数', width: 10, value: (f) => f.oversightOrders.level1 },
  { header: '二级黄牌督办数', width: 14, value: (f) => f.oversightOrders.level2 },
  { header: '三级红牌督办数', width: 14, value: (f) => f.oversightOrders.level3 },
  { header: '平均办理工作日', width: 14, value: (f) => f.averageWorkingDaysToReply },
  { header: '查实违规问题数', width: 14, value: (f) => f.substantiatedIntegrityCases },
  { header: '一票否决', width: 10, value: (f) => (f.vetoed ? '是' : '否') },
];

/** Calendar days from one ISO date to another (both 'YYYY-MM-DD'). */
const daysBetween = (a: string, b: string) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;

/** `attachment` with an ASCII fallback name and the Chinese name (RFC 6266 / RFC 5987). */
function attachment(ctx: Context, ascii: string, utf8: string) {
  ctx.set('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(utf8)}`);
}

/**
 * Department reporting (统计监测, DESIGN §9, §13): `GET /reports/departments?from=&to=&format=`.
 * Coordinator, supervisor and admin get every active department (or `department`); a
 * department head (handler with `isHead`) only their own; anyone else 403.
 */
export function reportRoutes(router: Router, deps: AppDeps) {
  route(router, {
    method: 'get', path: '/reports/departments', tags: ['reports'], query: ReportQuery, response: ReportResponse,
    summary: 'Per-department figures over a period (JSON, or CSV/XLSX with Chinese headers); rates as exact fractions',
  }, async (ctx, { query }) => {
    const actor = requireRole(ctx, 'coordinator', 'supervisor', 'admin', 'handler');
    let codes: string[];
    if (actor.role === 'handler') {
      if (!actor.isHead || !actor.departmentCode) throw forbidden('only the head of a department reads its report');
      if (query.department && query.department !== actor.departmentCode) throw forbidden('a department head reads only their own department\'s report');
      codes = [actor.departmentCode];
    } else if (query.department) {
      if (!(await deps.db.getRepository(Department).findOneBy({ code: query.department }))) {
        throw fieldError('department', 'unknown', `unknown department ${query.department}`, 400);
      }
      codes = [query.department];
    } else {
      codes = (await deps.db.getRepository(Department).find({ where: { active: true }, order: { code: 'ASC' } })).map((d) => d.code);
    }
    if (query.to < query.from) throw fieldError('to', 'before_from', `must not be before from (${query.from})`, 400);
    if (daysBetween(query.from, query.to) + 1 > MAX_REPORT_DAYS) {
      throw fieldError('to', 'range_too_long', `a report covers at most ${MAX_REPORT_DAYS} days`, 400);
    }

    const tz = deps.config.businessTz;
    const now = deps.clock.now();
    const range = { from: startOfLocalDay(query.from, tz), to: startOfLocalDay(addCalendarDays(query.to, 1), tz) };
    const cal = await deps.calendar.get(deps.db.manager);
    const items = await readForLists(deps, ctx, (em) => departmentsFigures(em, codes, range, cal, tz, now, { hideAccusedOf: actor.departmentCode }));

    if (query.format === 'json') {
      ctx.body = { from: query.from, to: query.to, asOf: now.toISOString(), items };
      return;
    }
    const names = new Map((await deps.db.getRepository(Department).findBy({ code: In(codes) })).map((d) => [d.code, d.nameZh]));
    const rows = items.map((f) => COLUMNS.map((c) => c.value(f, names.get(f.departmentCode) ?? f.departmentCode)));
    const base = `department-report_${query.from}_${query.to}`;
    const zhBase = `部门统计_${query.from}至${query.to}`;
    if (query.format === 'csv') {
      ctx.type = 'text/csv; charset=utf-8';
      attachment(ctx, `${base}.csv`, `${zhBase}.csv`);
      // BOM: Excel on Windows reads a UTF-8 CSV as GBK without it.
      ctx.body = stringify(rows.map((r) => r.map((v) => v ?? '')), { bom: true, header: true, columns: COLUMNS.map((c) => c.header), record_delimiter: 'windows' });
      return;
    }
    const wb = new ExcelJS.Workbook();
    wb.created = now;
    const ws = wb.addWorksheet('部门统计', { views: [{ state: 'frozen', ySplit: 1 }] });
    ws.columns = COLUMNS.map((c) => ({ header: c.header, width: c.width }));
    ws.getRow(1).font = { bold: true };
    for (const r of rows) ws.addRow(r.map((v) => v ?? null));
    const about = wb.addWorksheet('说明');
    about.columns = [{ width: 14 }, { width: 60 }];
    about.addRows([
      ['统计起始日', query.from],
      ['统计截止日', query.to],
      ['统计时点', now.toISOString()],
      ['时区', tz],
      ['口径', '受理量按收到时间计入统计期；签收、答复、评价、重办、督办计入当时负责的部门；详见 docs/decisions/reporting.md'],
    ]);
    ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    attachment(ctx, `${base}.xlsx`, `${zhBase}.xlsx`);
    ctx.body = Buffer.from(await wb.xlsx.writeBuffer());
  });
}
