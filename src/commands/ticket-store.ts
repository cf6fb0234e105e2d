import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Ticket, TicketMessage } from '../entities';
import { Action, Actor, canView, decide, Rating, TicketFacts } from '../domain/lifecycle';
import { AppError, conflict, notFound, preconditionFailed } from '../errors';
import { CommandContext, actorId, actorRole } from './context';
import { isMysql } from '../db';

/** Loading, authorizing and saving a ticket row, and the texts written on it. */

export const facts = (t: Ticket): TicketFacts => ({
  id: t.id,
  kind: t.kind,
  state: t.state,
  departmentCode: t.departmentCode,
  submitterId: t.submitterId,
  accusedDepartmentCode: t.accusedDepartmentCode,
});

/** Loads a ticket the actor may see, else 404 (never 403: existence is not disclosed). */
export async function loadVisibleTicket(ctx: CommandContext, id: string, lock = false): Promise<Ticket> {
  const t = await ctx.em.getRepository(Ticket).findOne({ where: { id }, ...(lock && isMysql(ctx.em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  if (!t) throw notFound('ticket');
  if (!canView(facts(t), ctx.actor)) throw notFound('ticket');
  return t;
}

/** The details of the specific refusals of the lifecycle (`Rule.refuse`). */
const REFUSALS: Record<string, string> = {
  'rating-own-department': 'nobody records the rating of a ticket handled by their own department',
  'callback-owner-account': 'a ticket filed by a signed-in owner is rated by that owner; no callback rating is recorded for it',
};

/**
 * Checks an action against the lifecycle and the caller's `If-Match` version.
 * Throws 404 (not visible), 403 (never allowed to this actor), 412 (stale version),
 * 409 `illegal-transition` with `state` and `allowed` (not now).
 */
export function authorize(t: Ticket, action: Action, actor: Actor, expectedVersion?: number, input: { rating?: Rating } = {}) {
  const d = decide(facts(t), action, actor, input);
  if (!d.ok) {
    if (d.reason === 'not_visible') throw notFound('ticket');
    if (d.reason === 'forbidden')
      throw new AppError(403, d.code ?? 'forbidden', d.code ? (REFUSALS[d.code] ?? `you may not ${action} this ticket`) : `you may not ${action} this ticket`, [], {
        state: t.state,
        allowed: d.allowed,
      });
  }
  if (expectedVersion !== undefined && expectedVersion !== t.version) {
    throw preconditionFailed(`the ticket changed: version is ${t.version}, If-Match said ${expectedVersion}`, { version: t.version });
  }
  if (!d.ok) throw conflict('illegal-transition', `cannot ${action} a ticket in state ${t.state}`, { state: t.state, allowed: d.allowed });
  return d.to;
}

/**
 * Writes the ticket back with `version + 1` only if nobody changed it since it was read
 * (a conditional update); otherwise 409 `concurrent-update` and the transaction rolls back.
 */
export async function saveTicket(em: EntityManager, t: Ticket, readVersion: number, now: Date): Promise<void> {
  t.version = readVersion + 1;
  t.updatedAt = now;
  const { id, ...rest } = t;
  const res = await em.createQueryBuilder().update(Ticket).set(rest).where('id = :id AND version = :v', { id, v: readVersion }).execute();
  if (res.affected === 0) throw conflict('concurrent-update', 'the ticket was changed by someone else at the same time; reload and retry');
}

/** Stores a text written on the ticket; events refer to it by id. */
export async function addMessage(ctx: CommandContext, t: Ticket, kind: string, body: string, internal = false): Promise<string> {
  const id = randomUUID();
  await ctx.em.insert(TicketMessage, { id, ticketId: t.id, cycle: t.cycle, kind, internal, authorId: actorId(ctx.actor), authorRole: actorRole(ctx.actor), body, createdAt: ctx.now });
  return id;
}
