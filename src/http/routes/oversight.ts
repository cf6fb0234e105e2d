import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, readForLists, runCommand } from '../deps';
import { DepartmentCode, filter, intParam, Paging, Uuid, multiline } from '../../schemas';
import { Actor } from '../../domain/lifecycle';
import { closeOrder, canReadOrders, checkCanRespond, listOrders, respondToOrder } from '../../commands/oversight';
import { runWithFiles } from '../../commands/attachments';
import { presentAttachmentRefs } from '../presenters';
import { ticketOversight } from '../../commands/ticket-reads';
import { forbidden } from '../../errors';
import { decodeCursor, encodeCursor } from '../../queries/cursor';
import { presentOversightOrder } from '../presenters';

const IdParam = z.object({ id: Uuid });

const ListQuery = z
  .object({
    // blank filters are absent (docs/decisions/lists.md)
    departmentCode: filter(DepartmentCode),
    level: filter(intParam(2, 3, 'an oversight level')),
    state: filter(z.enum(['open', 'responded', 'closed'])),
    overdue: filter(z.enum(['true', 'false'])),
    ticketId: filter(Uuid),
    ...Paging,
  })
  .strict();

/**
 * Oversight orders (督办单, DESIGN §5, §13): the list for the coordinator office, the
 * supervisors and the admin (all) and for a department's handlers (their own); the
 * department's answer; the coordinator's closing; the orders of one ticket.
 */
export function oversightRoutes(router: Router, deps: AppDeps) {
  const tags = ['oversight'];

  route(
    router,
    { method: 'get', path: '/oversight', summary: 'Oversight orders, newest first (filters: department, level, state, overdue, ticket)', tags, query: ListQuery },
    async (ctx, { query, actor }) => {
      if (!canReadOrders(actor)) throw forbidden('oversight orders are for the coordinator office, supervisors, the admin and the departments concerned');
      const now = deps.clock.now();
      const rows = await readForLists(deps, ctx, (em) =>
        listOrders(
          em,
          actor,
          {
            departmentCode: query.departmentCode,
            level: query.level,
            state: query.state,
            ticketId: query.ticketId,
            overdue: query.overdue === undefined ? undefined : query.overdue === 'true',
            limit: query.limit,
            after: decodeCursor(query.cursor),
          },
          now,
        ),
      );
      const page = rows.slice(0, query.limit);
      ctx.body = {
        items: page.map((o) => presentOversightOrder(o, now)),
        nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].openedAt, page[page.length - 1].id) : null,
      };
    },
  );

  route(router, { method: 'get', path: '/tickets/:id/oversight', summary: 'The oversight orders of one ticket, oldest first', tags, params: IdParam }, async (ctx, { params, actor }) => {
    if (!canReadOrders(actor)) throw forbidden('oversight orders are for staff');
    const now = deps.clock.now();
    ctx.body = { items: (await ticketOversight(deps, actor, params.id)).map((o) => presentOversightOrder(o, now)), nextCursor: null };
  });

  route(
    router,
    {
      method: 'post',
      path: '/oversight/:id/respond',
      summary: 'The department answers an oversight order; with files (internal) as multipart',
      tags,
      params: IdParam,
      body: z.object({ message: multiline(5000) }).strict(),
      files: { uploads: deps.uploads, precheck: async (ctx, { params }) => checkCanRespond(deps.db.manager, ctx.state.actor as Actor, params.id) },
    },
    async (ctx, { params, body, files }) => {
      const o = await runWithFiles(deps, ctx.state.actor as Actor, files, (c) => respondToOrder(c, params.id, body.message, files));
      deps.onTicketsChanged?.([o.ticketId]);
      ctx.body = { ...presentOversightOrder(o, deps.clock.now()), ...presentAttachmentRefs(files) };
    },
  );

  route(
    router,
    { method: 'post', path: '/oversight/:id/close', summary: 'The coordinator closes an oversight order', tags, params: IdParam, body: z.object({ note: multiline(2000).optional() }).strict() },
    async (ctx, { params, body }) => {
      const o = await runCommand(deps, ctx, (c) => closeOrder(c, params.id, body.note));
      deps.onTicketsChanged?.([o.ticketId]);
      ctx.body = presentOversightOrder(o, deps.clock.now());
    },
  );
}
