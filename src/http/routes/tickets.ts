import Router from '@koa/router';
import { createHash } from 'node:crypto';
import { LessThanOrEqual } from 'typeorm';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, runCommand } from '../deps';
import { ActionBodies, Kind, StateE, TicketCreate, Paging, DepartmentCode, Uuid } from '../../schemas';
import { IdempotencyKey, Ticket, TicketEvent, TicketMessage } from '../../entities';
import { createTicket } from '../../commands/create-ticket';
import { performAction, ActionInput } from '../../commands/actions';
import { appendEvent, verifyChain } from '../../commands/events';
import { facts, loadVisibleTicket } from '../../commands/ticket-store';
import { presentEvent, presentMessage, presentTicket } from '../presenters';
import { Actor, isAuditedIdentityRead } from '../../domain/lifecycle';
import { AppError, unprocessable } from '../../errors';
import { isDuplicateKey } from '../../db';
import { listTickets } from '../../queries/tickets';
import { EventView, TicketPage, TicketView } from '../responses';
import { canReadOrders, listOrders } from '../../commands/oversight';
import { openAccessCode, sealAccessCode } from '../../commands/idempotency';

export const IdParam = z.object({ id: Uuid });

/** Parses `If-Match: "7"` (or W/"7", or 7) → 7; absent → undefined; anything else → 400. */
export function ifMatchVersion(header: string | undefined): number | undefined {
  if (!header) return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (!m) throw new AppError(400, 'validation-failed', 'If-Match must be the ticket version (its ETag)', [{ field: 'If-Match', code: 'invalid', message: 'must be an ETag such as "3"' }]);
  return Number(m[1]);
}

const ListQuery = z.object({
  state: StateE.optional(),
  kind: Kind.optional(),
  departmentCode: DepartmentCode.optional(),
  overdue: z.enum(['true', 'false']).optional(),
  dueSoon: z.enum(['true', 'false']).optional(),
  escalationLevel: z.coerce.number().int().min(0).max(3).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  q: z.string().max(100).optional(),
  ...Paging,
}).strict();

export function ticketRoutes(router: Router, deps: AppDeps) {
  const tags = ['tickets'];

  route(router, { method: 'post', path: '/tickets', summary: 'Create a ticket (owner web, intake/coordinator on a caller\'s behalf, or anonymous)', tags, auth: 'public', body: TicketCreate, status: 201, response: TicketView },
    async (ctx, { body }) => {
      const actor = ctx.state.actor as Actor;
      const key = ctx.get('idempotency-key');
      if (key && (key.length > 128 || !/^[\x21-\x7e]+$/.test(key))) {
        throw new AppError(400, 'validation-failed', 'Idempotency-Key must be 1-128 visible ASCII characters', [{ field: 'Idempotency-Key', code: 'invalid', message: '1-128 visible ASCII characters' }]);
      }
      // Scoped to the caller: the user, or for account-less calls the client address.
      const scope = actor.kind === 'user' ? `user:${actor.userId}` : `client:${ctx.ip}`;
      const requestHash = createHash('sha256').update(JSON.stringify((ctx.request as unknown as { body?: unknown }).body ?? {})).digest('hex');
      const replay = async () => {
        const row = await deps.db.getRepository(IdempotencyKey).findOneBy({ scope, idemKey: key });
        if (!row || row.expiresAt.getTime() <= deps.clock.now().getTime()) return false;
        if (row.requestHash !== requestHash) throw unprocessable('idempotency-key-reused', 'this Idempotency-Key was used with a different body', [{ field: 'Idempotency-Key', code: 'reused', message: 'used with a different body' }]);
        const t = await deps.db.getRepository(Ticket).findOneByOrFail({ id: row.ticketId });
        ctx.status = 201;
        ctx.set('ETag', `"${t.version}"`);
        ctx.set('Idempotent-Replayed', 'true');
        // the code of an account-less create, sealed in the row (docs/decisions/security.md)
        const accessCode = openAccessCode(deps.config.jwtSecret, { scope, idemKey: key, ticketId: row.ticketId }, row.accessCode);
        ctx.body = { ...presentTicket(t, actor, { now: deps.clock.now() }), ...(accessCode ? { accessCode } : {}) };
        return true;
      };
      if (key && (await replay())) return;
      let result;
      try {
        result = await runCommand(deps, ctx, async (c) => {
          const r = await createTicket(c, body);
          if (key) {
            // an expired key (kept 24 h) is forgotten: its row gives way to the new request
            await c.em.delete(IdempotencyKey, { scope, idemKey: key, expiresAt: LessThanOrEqual(c.now) });
            const sealed = r.accessCode ? sealAccessCode(deps.config.jwtSecret, { scope, idemKey: key, ticketId: r.ticket.id }, r.accessCode) : null;
            await c.em.insert(IdempotencyKey, { scope, idemKey: key, requestHash, ticketId: r.ticket.id, accessCode: sealed, createdAt: c.now, expiresAt: new Date(c.now.getTime() + 24 * 3600_000) });
          }
          return r;
        });
      } catch (e) {
        if (key && isDuplicateKey(e) && (await replay())) return;
        throw e;
      }
      deps.onTicketsChanged?.([result.ticket.id]);
      ctx.status = 201;
      ctx.set('ETag', `"${result.ticket.version}"`);
      ctx.set('Location', `/api/v1/tickets/${result.ticket.id}`);
      ctx.body = { ...presentTicket(result.ticket, actor, { now: deps.clock.now() }), ...(result.accessCode ? { accessCode: result.accessCode } : {}) };
    });

  route(router, { method: 'get', path: '/tickets', summary: 'List tickets visible to the caller', tags, query: ListQuery, response: TicketPage },
    async (ctx, { query }) => {
      const actor = ctx.state.actor as Actor;
      const now = deps.clock.now();
      const { overdue, dueSoon, from, to, ...rest } = query;
      const page = await listTickets(deps.db.manager, actor, {
        ...rest, overdue: overdue === undefined ? undefined : overdue === 'true', dueSoon: dueSoon === undefined ? undefined : dueSoon === 'true',
        from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined,
      }, now);
      ctx.body = { items: page.items.map((t) => presentTicket(t, actor, { now, list: true })), nextCursor: page.nextCursor };
    });

  route(router, { method: 'get', path: '/tickets/:id', summary: 'One ticket, with deadlines and the actions allowed now', tags, params: IdParam, response: TicketView },
    async (ctx, { params }) => {
      const actor = ctx.state.actor as Actor;
      const { t, oversight } = await runCommand(deps, ctx, async (c) => {
        const t = await loadVisibleTicket(c, params.id);
        // Every read of a reporter's identity is recorded (DESIGN §7).
        if (t.contact && !t.anonymous && isAuditedIdentityRead(facts(t), actor)) {
          // Lock the ticket row first: concurrent reads (and actions) append to one chain in turn.
          await loadVisibleTicket(c, params.id, true);
          await appendEvent(c.em, t, { type: 'identity_read', actor, at: c.now, fromState: t.state, toState: t.state, payload: {} });
        }
        // Staff see the ticket's oversight orders with it (DESIGN §5 "shown on the ticket").
        const oversight = canReadOrders(actor) ? (await listOrders(c.em, actor, { ticketId: t.id, limit: 200 }, c.now)).reverse() : undefined;
        return { t, oversight };
      });
      ctx.set('ETag', `"${t.version}"`);
      ctx.body = presentTicket(t, actor, { now: deps.clock.now(), identityAudited: true, oversight });
    });

  route(router, { method: 'get', path: '/tickets/:id/events', summary: 'The ticket timeline (internal notes hidden from owners)', tags, params: IdParam, response: z.object({ items: z.array(EventView) }) },
    async (ctx, { params }) => {
      const actor = ctx.state.actor as Actor;
      ctx.body = await runCommand(deps, ctx, async (c) => {
        const t = await loadVisibleTicket(c, params.id);
        const events = await c.em.find(TicketEvent, { where: { ticketId: params.id }, order: { seq: 'ASC' } });
        const owner = actor.kind === 'user' && actor.role === 'owner';
        // The reporter's own actions would name them: masked for everyone but the reporter
        // (supervisors see the identity only through the audited detail read).
        const self = actor.kind === 'user' && actor.userId === t.submitterId;
        const hide = t.kind === 'integrity_report' && t.submitterId && !self ? t.submitterId : null;
        return { items: events.filter((e) => !(owner && (e.type === 'note' || e.type === 'identity_read'))).map((e) => presentEvent(e, hide)) };
      });
    });

  route(router, { method: 'get', path: '/tickets/:id/events/verify', summary: 'Check the ticket\'s event hash chain', tags, params: IdParam },
    async (ctx, { params }) => {
      ctx.body = await runCommand(deps, ctx, async (c) => {
        await loadVisibleTicket(c, params.id);
        return verifyChain(c.em, params.id);
      });
    });

  route(router, { method: 'get', path: '/tickets/:id/messages', summary: 'Texts written on the ticket (internal notes for staff only)', tags, params: IdParam },
    async (ctx, { params }) => {
      const actor = ctx.state.actor as Actor;
      ctx.body = await runCommand(deps, ctx, async (c) => {
        await loadVisibleTicket(c, params.id);
        const rows = await c.em.find(TicketMessage, { where: { ticketId: params.id }, order: { createdAt: 'ASC' } });
        const staff = actor.kind === 'user' && actor.role !== 'owner';
        return { items: rows.filter((m) => staff || !m.internal).map(presentMessage) };
      });
    });

  for (const [action, schema] of Object.entries(ActionBodies)) {
    route(router, { method: 'post', path: `/tickets/:id/${action}`, summary: `Ticket action: ${action} (DESIGN §3); If-Match honoured`, tags, params: IdParam, body: schema as z.ZodType, response: TicketView },
      async (ctx, { params, body }) => {
        const expected = ifMatchVersion(ctx.get('if-match') || undefined);
        const t = await runCommand(deps, ctx, (c) => performAction(c, params.id, { action, ...(body as object) } as ActionInput, expected));
        deps.onTicketsChanged?.([t.id]);
        ctx.set('ETag', `"${t.version}"`);
        ctx.body = presentTicket(t, ctx.state.actor as Actor, { now: deps.clock.now() });
      });
  }
}
