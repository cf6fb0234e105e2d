import Router from '@koa/router';
import type { Context } from 'koa';
import { z, registry } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { DepartmentCode, IsoDate } from '../../schemas';
import { departmentReport } from '../../queries/reports';
import { reportCsv, reportFileNames, reportXlsx } from '../../exports/department-report';

const ReportQuery = z
  .object({
    from: IsoDate.openapi({ description: 'first day of the period (business time zone), inclusive' }),
    to: IsoDate.openapi({ description: 'last day of the period (business time zone), inclusive; at most 366 days after `from`' }),
    format: z.enum(['json', 'csv', 'xlsx']).default('json'),
    department: DepartmentCode.optional().openapi({ description: 'only this department; a department head may name only their own' }),
  })
  .strict();

const FractionSchema = z
  .object({
    numerator: z.number().int(),
    denominator: z.number().int(),
    percent: z.number().nullable(),
  })
  .openapi('Fraction', { description: 'an exact rate; percent rounded half-up to 2 places, null when the denominator is 0' });

const FiguresSchema = registry.register(
  'DepartmentFigures',
  z
    .object({
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
    })
    .openapi({ description: 'DESIGN §9; counting rules in docs/decisions/reporting.md' }),
);

const ReportResponse = z.object({
  from: z.string(),
  to: z.string(),
  asOf: z.string(),
  items: z.array(FiguresSchema),
});

/** `attachment` with an ASCII fallback name and the Chinese name (RFC 6266 / RFC 5987). */
function attachment(ctx: Context, ascii: string, utf8: string) {
  ctx.set('Content-Disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(utf8)}`);
}

/**
 * Department reporting (统计监测, DESIGN §9, §13): `GET /reports/departments?from=&to=&format=`
 * (who reads what: `departmentReport`).
 */
export function reportRoutes(router: Router, deps: AppDeps) {
  route(
    router,
    {
      method: 'get',
      path: '/reports/departments',
      tags: ['reports'],
      roles: ['coordinator', 'supervisor', 'admin', 'handler'] as const,
      query: ReportQuery,
      response: ReportResponse,
      summary: 'Per-department figures over a period (JSON, or CSV/XLSX with Chinese headers); rates as exact fractions',
    },
    async (ctx, { query, actor }) => {
      const r = await departmentReport(deps, actor, query);
      if (query.format === 'json') {
        ctx.body = { from: r.from, to: r.to, asOf: r.asOf.toISOString(), items: r.items };
        return;
      }
      const info = { from: r.from, to: r.to, asOf: r.asOf, tz: deps.config.businessTz, names: r.names };
      const name = reportFileNames(r.from, r.to);
      if (query.format === 'csv') {
        ctx.type = 'text/csv; charset=utf-8';
        attachment(ctx, `${name.ascii}.csv`, `${name.zh}.csv`);
        ctx.body = reportCsv(r.items, info);
        return;
      }
      ctx.type = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      attachment(ctx, `${name.ascii}.xlsx`, `${name.zh}.xlsx`);
      ctx.body = await reportXlsx(r.items, info);
    },
  );
}
