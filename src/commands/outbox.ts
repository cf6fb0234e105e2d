/**
 * The admin's view of notification delivery (DESIGN §10, §13 `GET /outbox`) and the release
 * of a report held for the higher-level commission (§7). The one rule above every role
 * (§1, §7) holds here too: rows about an integrity report never show to users of the
 * department it accuses.
 */
import { Brackets } from 'typeorm';
import { OutboxMessage, Ticket } from '../entities';
import type { AppDeps } from '../deps';
import type { UserActor } from '../domain/lifecycle';
import { conflict, notFound } from '../errors';
import { inTransaction } from '../db';
import { appendEvent } from './events';
import { decodeCursor, encodeCursor } from '../queries/cursor';
import { hiddenFromAccusedSql } from '../queries/visibility';
import { afterCommit } from '../notifications/outbox-hook';

export type OutboxState = 'pending' | 'sent' | 'failed' | 'held';

/**
 * Outbox rows, newest first (keyset), optionally by state or ticket number, without the rows
 * about an integrity report that accuses the viewer's department.
 * @throws 400 for a foreign cursor
 */
export async function listOutbox(
  deps: AppDeps,
  actor: UserActor,
  f: { state?: OutboxState; ticketNumber?: string; limit: number; cursor?: string },
): Promise<{ items: OutboxMessage[]; nextCursor: string | null }> {
  const qb = deps.db.getRepository(OutboxMessage).createQueryBuilder('o').leftJoin(Ticket, 't', 't.id = o.ticket_id');
  qb.andWhere(`(t.id IS NULL OR NOT ${hiddenFromAccusedSql('t')})`, { vOwnDept: actor.departmentCode ?? '' });
  if (f.state) qb.andWhere('o.state = :state', { state: f.state });
  if (f.ticketNumber) qb.andWhere('o.ticket_number = :num', { num: f.ticketNumber });
  const cur = decodeCursor(f.cursor);
  if (cur) qb.andWhere(new Brackets((w) => w.where('o.created_at < :cat', { cat: cur.at }).orWhere('o.created_at = :cat AND o.id < :cid', { cat: cur.at, cid: cur.id })));
  const rows = await qb
    .orderBy('o.created_at', 'DESC')
    .addOrderBy('o.id', 'DESC')
    .take(f.limit + 1)
    .getMany();
  const items = rows.slice(0, f.limit);
  return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].createdAt, items[items.length - 1].id) : null };
}

/**
 * Releases a report held for the higher-level commission now (instead of at the next
 * sweep) to the address of the configuration, `HIGHER_DISCIPLINE_EMAIL` — never one from the
 * request (DESIGN §7). The forward carries the reporter's identity, so it is recorded on the
 * report as an `identity_read` by the admin. The admin sees that it is held and that it went,
 * never its content.
 * @throws 404 (also for a report accusing the admin's own department); 409 `no-destination` when
 *   no address is configured; 409 `not-held` when the row is not a held report
 */
export async function forwardHeldReport(deps: AppDeps, actor: UserActor, id: string): Promise<OutboxMessage> {
  const repo = deps.db.getRepository(OutboxMessage);
  const row = await repo.findOneBy({ id });
  const t = row?.ticketId ? await deps.db.getRepository(Ticket).findOneBy({ id: row.ticketId }) : null;
  if (!row || (t && t.kind === 'integrity_report' && actor.departmentCode && t.accusedDepartmentCode === actor.departmentCode)) throw notFound('outbox message');
  const to = deps.config.higherDisciplineEmail;
  if (!to) throw conflict('no-destination', 'HIGHER_DISCIPLINE_EMAIL is not configured: the report stays held until the operator sets it (then it goes by itself)', { state: row.state });
  await inTransaction(deps.db, async (em) => {
    const res = await em
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ recipient: to, state: 'pending', nextAttemptAt: deps.clock.now(), updatedAt: deps.clock.now() })
      .where("id = :id AND state = 'held' AND notice = 'integrity_forward'", { id: row.id })
      .execute();
    if (!res.affected) throw conflict('not-held', 'only a held report for the higher commission can be forwarded', { state: row.state });
    if (t) await appendEvent(em, t, { type: 'identity_read', actor, at: deps.clock.now(), fromState: t.state, toState: t.state, payload: { forwardedToHigherCommission: true, outboxId: row.id } });
  });
  afterCommit(deps.db.manager, [row]);
  return repo.findOneByOrFail({ id: row.id });
}

/**
 * Sends a notification again now (the admin's "retry", DESIGN §10): a `failed` row (a permanent
 * refusal, e.g. after the address was corrected at the mail server) goes back to `pending` with
 * its attempts counted afresh; a `pending` row waiting out its backoff is tried at once. A claim is
 * left as it is: a row being delivered right now keeps it (clearing it let a second worker send the
 * row again while the first was still at it), an expired one is free anyway. Delivery
 * instants are wall-clock time, as the workers keep them. Recipient and body stay as written
 * (for an integrity report the admin still sees neither).
 * @throws 404 (also for a row about a report accusing the admin's own department); 409
 *   `not-retryable` for a sent or held row (a held report is forwarded, never retried)
 */
export async function retryOutboxMessage(deps: AppDeps, actor: UserActor, id: string): Promise<OutboxMessage> {
  const repo = deps.db.getRepository(OutboxMessage);
  const row = await repo.findOneBy({ id });
  const t = row?.ticketId ? await deps.db.getRepository(Ticket).findOneBy({ id: row.ticketId }) : null;
  if (!row || (t && t.kind === 'integrity_report' && actor.departmentCode && t.accusedDepartmentCode === actor.departmentCode)) throw notFound('outbox message');
  const wall = new Date();
  const res = await repo
    .createQueryBuilder()
    .update(OutboxMessage)
    .set({ state: 'pending', attempts: () => (row.state === 'failed' ? '0' : 'attempts'), nextAttemptAt: wall, updatedAt: wall })
    .where("id = :id AND state IN ('failed', 'pending')", { id })
    .execute();
  if (!res.affected) throw conflict('not-retryable', `a ${row.state} notification is not sent again`, { state: row.state });
  // read back before the row goes to its lane: once queued, a worker may already be sending it
  // (the answer is the row as this retry left it: pending, attempts 0 after a failure)
  const retried = await repo.findOneByOrFail({ id });
  afterCommit(deps.db.manager, [retried]);
  return retried;
}
