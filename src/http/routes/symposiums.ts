import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { Paging, Uuid, SymposiumCreate, SymposiumIssues } from '../../schemas';
import { addSymposiumIssues, IssuesAdded, listSymposiums, recordSymposium, symposiumWithIssues } from '../../commands/symposiums';
import type { Actor } from '../../domain/lifecycle';
import { presentSymposium } from '../presenters';

/** Symposiums (座谈会) and the issues raised there (DESIGN §8). */
export function symposiumRoutes(router: Router, deps: AppDeps) {
  const tags = ['symposiums'];

  /** The symposium as the actor may see it, with each new issue's access code (shown once with the response that created it; DESIGN §1). */
  async function view(id: string, actor: Actor, added?: IssuesAdded) {
    const v = presentSymposium(await symposiumWithIssues(deps, actor, id), actor, deps.clock.now());
    return added ? { ...v, issues: v.issues.map((i) => (added.accessCodes.has(i.id) ? { ...i, accessCode: added.accessCodes.get(i.id) } : i)) } : v;
  }

  route(
    router,
    {
      method: 'post',
      path: '/symposiums',
      roles: ['intake', 'coordinator'] as const,
      summary: 'Record a symposium, optionally with the issues raised there',
      tags,
      status: 201,
      body: SymposiumCreate,
    },
    async (ctx, { body, actor }) => {
      const added = await recordSymposium(deps, actor, body);
      ctx.status = 201;
      ctx.body = await view(added.symposiumId, actor, added);
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/symposiums/:id/issues',
      roles: ['intake', 'coordinator'] as const,
      summary: 'Record issues raised at a symposium (one ticket each)',
      tags,
      status: 201,
      params: z.object({ id: Uuid }),
      body: SymposiumIssues,
    },
    async (ctx, { params, body, actor }) => {
      const added = await addSymposiumIssues(deps, actor, params.id, body.issues);
      ctx.status = 201;
      ctx.body = await view(params.id, actor, added);
    },
  );

  route(
    router,
    { method: 'get', path: '/symposiums', summary: 'List symposiums, newest first', tags, roles: ['intake', 'coordinator', 'supervisor', 'admin'] as const, query: z.object({ ...Paging }).strict() },
    async (ctx, { query }) => {
      const page = await listSymposiums(deps, query);
      ctx.body = {
        items: page.items.map((s) => ({ id: s.id, title: s.title, heldOn: s.heldOn, hostDepartmentCode: s.hostDepartmentCode, place: s.place, attendeeCount: s.attendees.length })),
        nextCursor: page.nextCursor,
      };
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/symposiums/:id',
      roles: ['intake', 'coordinator', 'supervisor', 'admin', 'handler'] as const,
      summary: "A symposium with each issue's state and answer",
      tags,
      params: z.object({ id: Uuid }),
    },
    async (ctx, { params, actor }) => {
      ctx.body = await view(params.id, actor);
    },
  );
}
