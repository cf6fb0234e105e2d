import Router from '@koa/router';
import { inTransaction } from '../../db';
import { appendEvent } from '../../commands/events';
import type { Actor } from '../../domain/lifecycle';
import { Brackets } from 'typeorm';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { Email, Paging, Uuid } from '../../schemas';
import { OutboxMessage, Ticket } from '../../entities';
import { requireRole } from '../auth';
import { conflict, notFound } from '../../errors';
import { decodeCursor, encodeCursor } from '../../queries/cursor';
import { maskEmail } from '../../notifications/labels';
import { afterCommit } from '../../notifications/outbox-hook';

const OutboxState = z.enum(['pending', 'sent', 'failed', 'held']);
const OutboxItem = z.object({
  id: z.string(), notice: z.string(), ticketNumber: z.string().nullable(), recipient: z.string().nullable(), recipientRole: z.string(),
  subject: z.string(), state: OutboxState, attempts: z.number().int(), lastError: z.string().nullable(), messageId: z.string().nullable(),
  createdAt: z.string(), nextAttemptAt: z.string().nullable(), sentAt: z.string().nullable(),
  masked: z.boolean().openapi({ description: 'about an integrity report: recipient and body masked (DESIGN §1, §7)' }),
  text: z.string().nullable().openapi({ description: 'the text part; null when masked' }),
});

const EMAIL_IN_TEXT = /[^\s<>"'@]+@[^\s<>"']+/g;

/**
 * One outbox row as the admin sees it (DESIGN §13 `GET /outbox`). Rows about an
 * integrity report show the recipient masked (`a***@domain`) and no body: the address of
 * a reporter is their identity, which only supervisors may see (DESIGN §7).
 */
export function presentOutbox(r: OutboxMessage): z.infer<typeof OutboxItem> {
  const masked = r.sensitive;
  return {
    id: r.id, notice: r.notice, ticketNumber: r.ticketNumber, recipient: masked ? maskEmail(r.recipient) : r.recipient, recipientRole: r.recipientRole,
    subject: r.subject, state: r.state, attempts: r.attempts,
    lastError: masked && r.lastError ? r.lastError.replace(EMAIL_IN_TEXT, (m) => maskEmail(m) ?? '***') : r.lastError,
    messageId: r.messageId, createdAt: r.createdAt.toISOString(),
    nextAttemptAt: r.state === 'pending' ? r.nextAttemptAt.toISOString() : null, sentAt: r.sentAt ? r.sentAt.toISOString() : null,
    masked, text: masked ? null : r.bodyText,
  };
}

/** The admin's view of notification delivery (DESIGN §10, §13). */
export function outboxRoutes(router: Router, deps: AppDeps) {
  const tags = ['outbox'];
  route(router, {
    method: 'get', path: '/outbox', summary: 'Delivery state of every notification, newest first (admin)', tags,
    query: z.object({ state: OutboxState.optional(), ticketNumber: z.string().max(32).optional(), ...Paging }).strict(),
    response: z.object({ items: z.array(OutboxItem), nextCursor: z.string().nullable() }),
  }, async (ctx, { query }) => {
    requireRole(ctx, 'admin');
    const qb = deps.db.getRepository(OutboxMessage).createQueryBuilder('o');
    if (query.state) qb.andWhere('o.state = :state', { state: query.state });
    if (query.ticketNumber) qb.andWhere('o.ticket_number = :num', { num: query.ticketNumber });
    const cur = decodeCursor(query.cursor);
    if (cur) qb.andWhere(new Brackets((w) => w.where('o.created_at < :cat', { cat: cur.at }).orWhere('o.created_at = :cat AND o.id < :cid', { cat: cur.at, cid: cur.id })));
    const rows = await qb.orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').take(query.limit + 1).getMany();
    const page = rows.slice(0, query.limit);
    ctx.body = {
      items: page.map(presentOutbox),
      nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].createdAt, page[page.length - 1].id) : null,
    };
  });

  route(router, {
    method: 'post', path: '/outbox/:id/forward', roles: ['admin'] as const,
    summary: 'Forward a held report to the higher-level discipline commission (when HIGHER_DISCIPLINE_EMAIL is not configured; DESIGN §7)', tags,
    params: z.object({ id: Uuid }), body: z.object({ email: Email }).strict(), response: OutboxItem,
  }, async (ctx, { params, body }) => {
    const repo = deps.db.getRepository(OutboxMessage);
    const row = await repo.findOneBy({ id: params.id });
    if (!row) throw notFound('outbox message');
    const actor = ctx.state.actor as Actor;
    await inTransaction(deps.db, async (em) => {
      const res = await em.createQueryBuilder().update(OutboxMessage).set({ recipient: body.email, state: 'pending', nextAttemptAt: new Date(), updatedAt: deps.clock.now() })
        .where("id = :id AND state = 'held' AND notice = 'integrity_forward'", { id: row.id }).execute();
      if (!res.affected) throw conflict('not-held', 'only a held report for the higher commission can be forwarded', { state: row.state });
      // The forward carries the reporter's identity: it is recorded on the report like any
      // identity read (DESIGN §7), with the admin as actor (the address is in the outbox row).
      const t = row.ticketId ? await em.findOneBy(Ticket, { id: row.ticketId }) : null;
      if (t) await appendEvent(em, t, { type: 'identity_read', actor, at: deps.clock.now(), fromState: t.state, toState: t.state, payload: { forwardedToHigherCommission: true, outboxId: row.id } });
    });
    afterCommit(deps.db.manager, [row.id]);
    ctx.body = presentOutbox(await repo.findOneByOrFail({ id: row.id }));
  });
}
