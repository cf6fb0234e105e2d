import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, readForLists } from '../deps';
import { DepartmentCode } from '../../schemas';
import { requireRole } from '../auth';
import { Department } from '../../entities';
import { departmentFigures } from '../../commands/reports';
import { loadVetoes, substantiatedCases } from '../../commands/vetoes';
import { assessmentVerdict } from '../../domain/veto';
import { localDate, startOfLocalDay } from '../../domain/deadline';
import { AppError, forbidden, notFound } from '../../errors';
import { presentVeto } from './vetoes';

/**
 * The department assessment (DESIGN §7 考核督查 / 评选表彰, §13): the year's figures and
 * the veto. Coordinator, supervisor and admin read any department; a department head reads
 * their own. The department's own staff see the veto and the number of substantiated
 * cases, never the reports, their numbers or amounts.
 */
export function assessmentRoutes(router: Router, deps: AppDeps) {
  route(router, { method: 'get', path: '/departments/:code/assessment', summary: 'A department\'s figures for a year, `vetoed` and `eligibleForCommendation`', tags: ['reports'],
    params: z.object({ code: DepartmentCode }),
    query: z.object({ year: z.coerce.number().int().min(2000).max(2100).optional().openapi({ type: 'integer', description: 'default: the current year (business time zone)' }) }).strict() },
  async (ctx, { params, query }) => {
    const actor = requireRole(ctx);
    const own = actor.departmentCode === params.code;
    const allowed = ['coordinator', 'supervisor', 'admin'].includes(actor.role) || (actor.role === 'handler' && actor.isHead && own);
    if (!allowed) throw forbidden('the assessment is read by the coordinator, supervisors, the admin, and the department\'s own head');
    const c0 = { now: deps.clock.now(), cal: await deps.calendar.get(deps.db.manager), tz: deps.config.businessTz };
    ctx.body = await readForLists(deps, ctx, async (em) => {
      const c = { ...c0, em };
      const dep = await c.em.findOneBy(Department, { code: params.code });
      if (!dep) throw notFound('department');
      const year = query.year ?? Number(localDate(c.now, c.tz).slice(0, 4));
      const range = { from: startOfLocalDay(`${year}-01-01`, c.tz), to: startOfLocalDay(`${year + 1}-01-01`, c.tz) };
      const [veto] = await loadVetoes(c.em, { departmentCode: dep.code, year });
      const verdict = assessmentVerdict(!!veto?.vetoed);
      let figures: Record<string, unknown> | null = null;
      try {
        // The register is the authority on the veto (it knows revocations).
        figures = { ...(await departmentFigures(c.em, dep.code, range, c.cal, c.tz, c.now, { hideAccusedOf: actor.departmentCode })), vetoed: verdict.vetoed };
      } catch (e) {
        // Until the reporting work lands the figures answer 501; the veto part stands on its own.
        if (!(e instanceof AppError && e.status === 501)) throw e;
      }
      return {
        departmentCode: dep.code, year, ...verdict,
        substantiatedCases: await substantiatedCases(c.em, dep.code, year),
        veto: veto ? presentVeto(veto, actor) : null,
        figures,
      };
    });
  });
}
