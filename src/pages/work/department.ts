import type Router from '@koa/router';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import { departmentOverview } from '../../queries/department-overview';
import { presentVeto } from '../../http/presenters';
import { AppError } from '../../errors';
import { localDate } from '../../domain/deadline';
import type { Fraction } from '../../domain/metrics';
import { pageYear, showYearRefused } from './common';

/** A rate as the workbench writes it: `12/15（80%）`, or `—` when nothing was owed. */
const rate = (f: Fraction | undefined) => (!f ? '—' : f.percent === null ? `暂无（${f.numerator}/${f.denominator}）` : `${f.numerator}/${f.denominator}（${f.percent}%）`);

/**
 * The department head's overview (`/work/department`, issue 10, DESIGN §7): open tickets by
 * state, overdue and due soon, open tickets per escalation level, unanswered oversight
 * orders, and the year's assessment with the veto as `presentVeto` gives it to the
 * department's own staff (the number of substantiated cases, never the reports or their
 * numbers). One query, `departmentOverview`, whose counts all go through `visibilityScope`.
 */
export function departmentPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  router.get('/work/department', async (ctx) => {
    const { actor, account } = requireStaff(ctx, 'handler');
    if (!account.isHead) throw new AppError(403, 'wrong-role', "the overview is the department head's");
    const thisYear = Number(localDate(deps.clock.now(), tz).slice(0, 4));
    // a year that is no year, or one still to come, is refused (never read as this year)
    const y = pageYear(ctx.query.year, thisYear, thisYear);
    if ('refused' in y) return showYearRefused(kit, ctx, { heading: '本部门概况', action: '/work/department', fallbackLink: '查看本部门今年的概况' }, y);
    const year = y.year as number;
    const o = await departmentOverview(deps, actor, year);
    const a = o.assessment;
    const f = a.figures as Record<string, unknown> | null;
    const figures = f
      ? [
          ['受理量', String(f.received ?? 0)],
          ['按时签收率', rate(f.signedOnTime as Fraction)],
          ['按时办结率', rate(f.repliedOnTime as Fraction)],
          ['解决率', rate(f.resolved as Fraction)],
          ['满意率', rate(f.satisfaction as Fraction)],
          ['重办率', rate(f.reopenRate as Fraction)],
          ['平均答复用时', f.averageWorkingDaysToReply ? `${f.averageWorkingDaysToReply} 个工作日` : '—'],
          ['至今逾期未办', String(f.overdueOpen ?? 0)],
        ]
      : [];
    kit.show(ctx, 'work/department', `${o.departmentName}概况`, {
      o,
      a,
      veto: a.veto ? presentVeto(a.veto, actor) : null,
      figures,
      year,
      years: Array.from({ length: Math.min(5, thisYear - 1999) }, (_, i) => thisYear - i),
      dept: o.departmentCode,
    });
  });
}
