import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { DepartmentCode, YearParam } from '../../schemas';
import { departmentAssessment } from '../../queries/assessment';
import { presentVeto } from '../presenters';

/**
 * The department assessment (DESIGN §7 考核督查 / 评选表彰, §13): the year's figures and
 * the veto. Coordinator, supervisor and admin read any department; a department head reads
 * their own. The department's own staff see the veto and the number of substantiated
 * cases, never the reports, their numbers or amounts.
 */
export function assessmentRoutes(router: Router, deps: AppDeps) {
  route(
    router,
    {
      method: 'get',
      path: '/departments/:code/assessment',
      summary: "A department's figures for a year, `vetoed` and `eligibleForCommendation`",
      tags: ['reports'],
      params: z.object({ code: DepartmentCode }),
      query: z.object({ year: YearParam.optional().openapi({ description: 'a 4-digit year; default: the current year (business time zone)' }) }).strict(),
    },
    async (ctx, { params, query, actor }) => {
      const a = await departmentAssessment(deps, actor, params.code, query.year);
      ctx.body = { ...a, veto: a.veto ? presentVeto(a.veto, actor) : null };
    },
  );
}
