import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, readForLists, runCommand } from '../deps';
import { multiline, Uuid } from '../../schemas';
import { requireRole } from '../auth';
import { loadVetoes, revokeVeto, VetoRecord } from '../../commands/vetoes';
import type { Actor } from '../../domain/lifecycle';
import { notFound } from '../../errors';

/**
 * A veto as the accused department's own staff may see it (DESIGN §7): the veto, its
 * status and the number of substantiated cases — never the reports, their numbers or
 * amounts. The coordinator office is SAMR: when SAMR is vetoed, the coordinator sees this too.
 */
export function vetoForAccused(v: VetoRecord) {
  return {
    id: v.id, departmentCode: v.departmentCode, year: v.year, status: v.status, vetoed: v.vetoed, activeCauses: v.activeCauses,
    decidedBy: v.decidedBy, decidedAt: v.decidedAt, revokedBy: v.revokedBy, revokedAt: v.revokedAt, revokeReason: v.revokeReason,
    history: v.history.map(({ ticketId: _t, number: _n, ...h }) => h),
  };
}

/** The register entry as `actor` may see it: in full, or redacted for the vetoed department's own staff. */
export function presentVeto(v: VetoRecord, actor: Actor) {
  return actor.kind === 'user' && actor.departmentCode === v.departmentCode ? vetoForAccused(v) : v;
}

/** The veto register (DESIGN §7, §13). */
export function vetoRoutes(router: Router, deps: AppDeps) {
  const tags = ['vetoes'];

  route(router, { method: 'get', path: '/vetoes', summary: 'The veto register: department, year, status, causes (ticket numbers), decided by and when, history (coordinator, supervisor)', tags,
    query: z.object({ year: z.coerce.number().int().min(2000).max(2100).optional().openapi({ type: 'integer' }) }).strict() },
  async (ctx, { query }) => {
    const actor = requireRole(ctx, 'coordinator', 'supervisor');
    const vetoes = await readForLists(deps, ctx, (em) => loadVetoes(em, query.year === undefined ? {} : { year: query.year }));
    ctx.body = { items: vetoes.map((v) => presentVeto(v, actor)), nextCursor: null };
  });

  route(router, { method: 'post', path: '/vetoes/:id/revoke', roles: ['supervisor'] as const, summary: 'Revoke a veto with a reason (supervisor); the veto stays in the register with its history', tags,
    params: z.object({ id: Uuid }), body: z.object({ reason: multiline(2000) }).strict() },
  async (ctx, { params, body }) => {
    const actor = requireRole(ctx);
    ctx.body = await runCommand(deps, ctx, async (c) => {
      await revokeVeto(c, params.id, body.reason);
      const [v] = await loadVetoes(c.em, { id: params.id });
      if (!v) throw notFound('veto');
      return presentVeto(v, actor);
    });
  });
}
