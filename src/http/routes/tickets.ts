import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, readForLists } from '../deps';
import { ActionBodies, Kind, StateE, TicketCreate, Paging, DepartmentCode, filter, intParam, SearchText, Uuid } from '../../schemas';
import { actOnTicket, ActionInput } from '../../commands/actions';
import { createTicketOnce } from '../../commands/idempotency';
import { readTicket, ticketMessages, ticketTimeline, verifyTicketChain } from '../../commands/ticket-reads';
import { listTickets } from '../../queries/tickets';
import { presentEvent, presentMessage, presentTicket } from '../presenters';
import { AppError } from '../../errors';
import { EventView, TicketPage, TicketView } from '../responses';
import { checkCanActWithFiles } from '../../commands/attachments';
import { actionTakesFiles } from '../../domain/attachments';
import type { Action } from '../../domain/lifecycle';
import { presentAttachmentRefs } from '../presenters';

export const IdParam = z.object({ id: Uuid });

/** Parses `If-Match: "7"` (or W/"7", or 7) → 7; absent → undefined; anything else → 400. */
export function ifMatchVersion(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!m) throw new AppError(400, 'validation-failed', 'If-Match must be the ticket version (its ETag)', [{ field: 'If-Match', code: 'invalid', message: 'must be an ETag such as "3"' }]);
  return Number(m[1]);
}

const ListQuery = z
  .object({
    // a filter sent blank (`state=`) is absent, as on the work-list page (docs/decisions/lists.md)
    state: filter(StateE),
    kind: filter(Kind),
    departmentCode: filter(DepartmentCode),
    overdue: filter(z.enum(['true', 'false'])),
    dueSoon: filter(z.enum(['true', 'false'])),
    escalationLevel: filter(intParam(0, 3, 'an escalation level')),
    from: filter(z.string().datetime({ offset: true })),
    to: filter(z.string().datetime({ offset: true })),
    q: filter(SearchText),
    ...Paging,
  })
  .strict();
const ReadQuery = z
  .object({
    contact: filter(z.enum(['true', 'false'])).openapi({
      description:
        "`true`: a handler of the department that holds the ticket (dispatched, in_progress, awaiting_info, replied; not an integrity report, not anonymous) gets the submitter's whole phone number, and this read is recorded as a `contact_read` event on the ticket. For anyone else it changes nothing: the phone as the role sees it, nothing recorded.",
    }),
  })
  .strict();
const flag = (v: 'true' | 'false' | undefined) => (v === undefined ? undefined : v === 'true');

/** Tickets: create, list, read, timeline, texts, chain check, and the lifecycle actions (DESIGN §3, §13). */
export function ticketRoutes(router: Router, deps: AppDeps) {
  const tags = ['tickets'];

  route(
    router,
    {
      method: 'post',
      path: '/tickets',
      summary: "Create a ticket (owner web, intake/coordinator on a caller's behalf, or anonymous); Idempotency-Key honoured; with files as multipart (payload part, then file parts)",
      tags,
      auth: 'public',
      body: TicketCreate,
      status: 201,
      response: TicketView,
      files: { uploads: deps.uploads },
    },
    async (ctx, { body, actor, files }) => {
      const key = ctx.get('idempotency-key');
      const r = await createTicketOnce(deps, actor, {
        key: key === '' ? undefined : key,
        // scoped to the caller: the user, or for account-less calls the client address
        scope: actor.kind === 'user' ? `user:${actor.userId}` : `client:${ctx.ip}`,
        // with files, "the same body" is the same validated payload and the same files (their SHA-256)
        rawBody: ctx.is('multipart/form-data') ? { payload: body, files: files.map((f) => f.sha256) } : (ctx.request as unknown as { body?: unknown }).body,
        input: body,
        files,
        present: (t) => ({ ...presentTicket(t, actor, { now: deps.clock.now() }), ...presentAttachmentRefs(files) }),
      });
      ctx.status = 201;
      if (r.body.version !== undefined) ctx.set('ETag', `"${r.body.version}"`);
      ctx.set('Location', `/api/v1/tickets/${r.body.id}`);
      if (r.replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.body = r.body;
    },
  );

  route(router, { method: 'get', path: '/tickets', summary: 'List tickets visible to the caller', tags, query: ListQuery, response: TicketPage }, async (ctx, { query, actor }) => {
    const now = deps.clock.now();
    const { overdue, dueSoon, from, to, ...rest } = query;
    const page = await readForLists(deps, ctx, (em) =>
      listTickets(em, actor, { ...rest, overdue: flag(overdue), dueSoon: flag(dueSoon), from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }, now),
    );
    ctx.body = { items: page.items.map((t) => presentTicket(t, actor, { now, list: true })), nextCursor: page.nextCursor };
  });

  route(
    router,
    { method: 'get', path: '/tickets/:id', summary: 'One ticket, with deadlines and the actions allowed now', tags, params: IdParam, query: ReadQuery, response: TicketView },
    async (ctx, { params, query, actor }) => {
      // a HEAD shows no number: it records no reveal (koa answers HEAD with the GET route)
      const r = await readTicket(deps, actor, params.id, { contact: query.contact === 'true' && ctx.method === 'GET' });
      ctx.set('ETag', `"${r.ticket.version}"`);
      ctx.body = presentTicket(r.ticket, actor, { now: deps.clock.now(), identityAudited: r.identityAudited, contactRevealed: r.contactRevealed, oversight: r.oversight });
    },
  );

  route(
    router,
    { method: 'get', path: '/tickets/:id/events', summary: 'The ticket timeline (internal notes hidden from owners)', tags, params: IdParam, response: z.object({ items: z.array(EventView) }) },
    async (ctx, { params, actor }) => {
      const r = await ticketTimeline(deps, actor, params.id);
      ctx.body = { items: r.events.map((e) => presentEvent(e, r.hideActorId)) };
    },
  );

  route(router, { method: 'get', path: '/tickets/:id/events/verify', summary: "Check the ticket's event hash chain", tags, params: IdParam }, async (ctx, { params, actor }) => {
    ctx.body = await verifyTicketChain(deps, actor, params.id);
  });

  route(router, { method: 'get', path: '/tickets/:id/messages', summary: 'Texts written on the ticket (internal notes for staff only)', tags, params: IdParam }, async (ctx, { params, actor }) => {
    ctx.body = { items: (await ticketMessages(deps, actor, params.id)).map(presentMessage) };
  });

  for (const [action, schema] of Object.entries(ActionBodies)) {
    // supplement, reply, conclude and decide also take files (issue 12): multipart, the body as a payload part
    const withFiles = actionTakesFiles(action as Action);
    route(
      router,
      {
        method: 'post',
        path: `/tickets/:id/${action}`,
        summary: `Ticket action: ${action} (DESIGN §3); If-Match honoured${withFiles ? '; with files as multipart (payload part, then file parts)' : ''}`,
        tags,
        params: IdParam,
        body: schema as z.ZodType,
        response: TicketView,
        ...(withFiles
          ? {
              files: {
                uploads: deps.uploads,
                precheck: (ctx: { state: { actor?: unknown } }, { params }: { params: { id: string } }) => checkCanActWithFiles(deps, ctx.state.actor as never, params.id, action as Action),
              },
            }
          : {}),
      },
      async (ctx, { params, body, actor, files }) => {
        const expected = ifMatchVersion(ctx.get('if-match') || undefined);
        const t = await actOnTicket(deps, actor, params.id, { action, ...(body as object) } as ActionInput, expected, files);
        ctx.set('ETag', `"${t.version}"`);
        ctx.body = { ...presentTicket(t, actor, { now: deps.clock.now() }), ...presentAttachmentRefs(files) };
      },
    );
  }
}
