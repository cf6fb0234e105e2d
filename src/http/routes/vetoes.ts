import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { filter, multiline, Uuid, YearParam } from '../../schemas';
import { revokeVetoRecord } from '../../commands/vetoes';
import { vetoRegister } from '../../queries/vetoes';
import { presentVeto } from '../presenters';

/** The veto register (DESIGN §7, §13). */
export function vetoRoutes(router: Router, deps: AppDeps) {
  const tags = ['vetoes'];

  route(
    router,
    {
      method: 'get',
      path: '/vetoes',
      roles: ['coordinator', 'supervisor'] as const,
      summary: 'The veto register: department, year, status, causes (ticket numbers), decided by and when, history (coordinator, supervisor)',
      tags,
      query: z.object({ year: filter(YearParam) }).strict(),
    },
    async (ctx, { query, actor }) => {
      const vetoes = await vetoRegister(deps, actor, query.year);
      ctx.body = { items: vetoes.map((v) => presentVeto(v, actor)), nextCursor: null };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/vetoes/:id/revoke',
      roles: ['supervisor'] as const,
      summary: 'Revoke a veto with a reason (supervisor); the veto stays in the register with its history',
      tags,
      params: z.object({ id: Uuid }),
      body: z.object({ reason: multiline(2000) }).strict(),
    },
    async (ctx, { params, body, actor }) => {
      ctx.body = presentVeto(await revokeVetoRecord(deps, actor, params.id, body.reason), actor);
    },
  );
}
