import { randomUUID } from 'node:crypto';
import { Brackets, EntityManager } from 'typeorm';
import { OversightOrder, Ticket } from '../entities';
import { Actor, DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { addWorkingDays } from '../domain/deadline';
import { OVERSIGHT_RESPONSE_WORKING_DAYS } from '../domain/schedule';
import { WorkCalendar } from '../domain/calendar';
import { conflict, forbidden, notFound } from '../errors';
import { CommandContext, actorId } from './context';
import { appendEvent } from './events';
import { isMysql } from '../db';
import { notify } from '../notifications/notify';
import type { StagedFile } from '../uploads/stage';
import { attachmentRefs, recordAttachments } from './attachments';

export type OrderState = 'open' | 'responded' | 'closed';

/**
 * Opens an oversight order (督办单, DESIGN §5) for a level-2 or level-3 escalation, in the
 * caller's transaction: addressed to the ticket's department (the coordinator office while
 * it has none), response due in {@link OVERSIGHT_RESPONSE_WORKING_DAYS} working days from
 * `now` by the rule of §4. The deadline is fixed when the order is served (the order states
 * its date); later calendar edits do not move it. Writes the `oversight_opened` notice.
 * @returns the stored order
 */
export async function openOversightOrder(
  em: EntityManager,
  t: Pick<Ticket, 'id' | 'number' | 'cycle' | 'departmentCode'>,
  o: { id?: string; level: 2 | 3; escalationId: string; reason: string; note: string | null; now: Date; cal: WorkCalendar; tz: string },
): Promise<OversightOrder> {
  const due = addWorkingDays(o.now, OVERSIGHT_RESPONSE_WORKING_DAYS, o.cal, o.tz);
  const order = Object.assign(new OversightOrder(), {
    id: o.id ?? randomUUID(),
    ticketId: t.id,
    ticketNumber: t.number,
    cycle: t.cycle,
    level: o.level,
    escalationId: o.escalationId,
    reason: o.reason,
    departmentCode: t.departmentCode,
    state: 'open',
    note: o.note,
    openedAt: o.now,
    respondBy: due.dueAt,
    respondByProvisional: due.provisional,
    watchAt: due.dueAt,
    lateAt: null,
    respondedAt: null,
    respondedById: null,
    response: null,
    closedAt: null,
    closedById: null,
    closeNote: null,
  } satisfies OversightOrder);
  await em.insert(OversightOrder, order as never);
  await notify(em, { kind: 'oversight_opened', orderId: order.id }, o.now);
  return order;
}

/**
 * Open oversight orders follow the department that now owes the answer (issue 13 item 7):
 * after a dispatch, a re-dispatch (改派), a return (退单, to the coordinator office) or a
 * release from a merge, every `open` order of the ticket addressed elsewhere is re-addressed
 * to `t.departmentCode` (null: the coordinator office), with a fresh response deadline of
 * {@link OVERSIGHT_RESPONSE_WORKING_DAYS} working days from `now` (the new addressee has just
 * received it), an `oversight_moved` event on the ticket (payload `{ orderId, level,
 * fromDepartmentCode, toDepartmentCode, respondBy }`) and the `oversight_opened` notice to the
 * new addressee. The old department then neither lists nor answers the order (404); answered
 * orders stay with the department that answered them. Call after the ticket's own event.
 * @returns the moved orders
 */
export async function followDepartment(ctx: Pick<CommandContext, 'em' | 'now' | 'actor' | 'cal' | 'tz'>, t: Pick<Ticket, 'id' | 'cycle' | 'departmentCode' | 'state'>): Promise<OversightOrder[]> {
  const { em, now, actor } = ctx;
  const open = await em
    .getRepository(OversightOrder)
    .find({ where: { ticketId: t.id, state: 'open' }, order: { openedAt: 'ASC', id: 'ASC' }, ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  const moved: OversightOrder[] = [];
  for (const o of open) {
    if ((o.departmentCode ?? null) === (t.departmentCode ?? null)) continue;
    const from = o.departmentCode;
    const due = addWorkingDays(now, OVERSIGHT_RESPONSE_WORKING_DAYS, ctx.cal, ctx.tz);
    o.departmentCode = t.departmentCode;
    o.respondBy = due.dueAt;
    o.respondByProvisional = due.provisional;
    // An order already found late (its level-3 escalation done) is not watched again.
    if (!o.lateAt) o.watchAt = due.dueAt;
    await em.save(o);
    await appendEvent(em, t, {
      type: 'oversight_moved',
      actor,
      at: now,
      fromState: t.state,
      toState: t.state,
      payload: { orderId: o.id, level: o.level, fromDepartmentCode: from, toDepartmentCode: o.departmentCode, respondBy: due.dueAt.toISOString() },
    });
    await notify(em, { kind: 'oversight_opened', orderId: o.id }, now);
    moved.push(o);
  }
  return moved;
}

/**
 * A ticket that will not be answered by itself any more — merged into another ticket (whose
 * answer its submitter gets), rejected or withdrawn — has nobody left to answer its oversight
 * orders; a ticket that is closed (rated satisfied, closed by the coordinator, or its rating
 * window expired) is done with: every `open` order of it is closed (`closed`, by the actor of
 * that action — `system` for the rating window —, with `closeNote` naming why), each with an
 * `oversight_closed` event on the ticket (payload `{ orderId, level, departmentCode, reason }`,
 * reason `merged` | `rejected` | `withdrawn` | `closed`). Answered orders keep their answer.
 * The primary's own deadlines and escalation go on (issue 13, the second attack pass: orders
 * followed re-dispatch but not these ends; issue 10: nor the close after the rating).
 * Call after the ticket's own event.
 * @returns the closed orders
 */
export async function closeOrdersOfEndedTicket(ctx: Pick<CommandContext, 'em' | 'now' | 'actor'>, t: Pick<Ticket, 'id' | 'cycle' | 'state' | 'mergedIntoId'>): Promise<OversightOrder[]> {
  const { em, now, actor } = ctx;
  const reason = t.state as 'merged' | 'rejected' | 'withdrawn' | 'closed';
  const open = await em
    .getRepository(OversightOrder)
    .find({ where: { ticketId: t.id, state: 'open' }, order: { openedAt: 'ASC', id: 'ASC' }, ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  if (!open.length) return [];
  const primary = reason === 'merged' && t.mergedIntoId ? await em.getRepository(Ticket).findOne({ where: { id: t.mergedIntoId }, select: { id: true, number: true } }) : null;
  const note =
    reason === 'merged'
      ? `工单已合并至${primary?.number ?? '主工单'}，由主工单答复`
      : reason === 'rejected'
        ? '工单不予受理，督办结束'
        : reason === 'closed'
          ? '工单已办结，督办结束'
          : '诉求人已撤回，督办结束';
  for (const o of open) {
    o.state = 'closed';
    o.closedAt = now;
    o.closedById = actor.kind === 'user' ? actor.userId : null;
    o.closeNote = note;
    o.watchAt = null;
    await em.save(o);
    await appendEvent(em, t, {
      type: 'oversight_closed',
      actor,
      at: now,
      fromState: t.state,
      toState: t.state,
      payload: { orderId: o.id, level: o.level, departmentCode: o.departmentCode, reason },
    });
  }
  return open;
}

/** Whether the actor answers for the order's addressee: a handler of its department, or the coordinator for the coordinator office. */
export function canRespond(order: Pick<OversightOrder, 'departmentCode'>, a: Actor): boolean {
  if (a.kind !== 'user') return false;
  if (!order.departmentCode) return a.role === 'coordinator';
  if (order.departmentCode === DISCIPLINE_DEPARTMENT && a.role === 'supervisor') return true;
  return a.role === 'handler' && a.departmentCode === order.departmentCode;
}

/** Who may read oversight orders: coordinators, supervisors and the admin all; handlers their department's. */
export function canReadOrders(a: Actor): boolean {
  return a.kind === 'user' && ['coordinator', 'supervisor', 'admin', 'handler'].includes(a.role);
}

async function lockOrder(em: EntityManager, id: string): Promise<OversightOrder> {
  const o = await em.getRepository(OversightOrder).findOne({ where: { id }, ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  if (!o) throw notFound('oversight order');
  return o;
}

/**
 * Locks the ticket row and bumps its version: an event appended outside `performAction`
 * must make a concurrent action on the ticket fail cleanly (409 concurrent-update) rather
 * than collide on the event sequence.
 */
async function touchTicket(em: EntityManager, ticketId: string, now: Date): Promise<Ticket> {
  const t = await em.getRepository(Ticket).findOne({ where: { id: ticketId }, ...(isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
  if (!t) throw notFound('ticket');
  await em
    .createQueryBuilder()
    .update(Ticket)
    .set({ version: () => 'version + 1', updatedAt: now })
    .where('id = :id', { id: ticketId })
    .execute();
  t.version += 1;
  return t;
}

/**
 * The department answers an oversight order (`POST /oversight/:id/respond`, DESIGN §5):
 * `open` → `responded`, with the answer text; writes `oversight_responded` on the ticket
 * (payload `{ orderId, level, onTime }`; the text stays on the order, events carry no prose).
 * A late answer is accepted and recorded as not on time. `files` (staged by the caller, committed
 * by `runWithFiles`) are the answer's material: internal (staff only), listed with their SHA-256
 * in the event as `attachments`.
 * @throws 404 unknown order (or one the actor may not see), 403 not the addressee,
 *   409 `oversight-not-open` with `state` when it was already answered or closed
 */
export async function respondToOrder(ctx: CommandContext, id: string, message: string, files: readonly StagedFile[] = []): Promise<OversightOrder> {
  const { em, now, actor } = ctx;
  const o = await lockOrder(em, id);
  checkRespond(o, actor);
  const t = await touchTicket(em, o.ticketId, now);
  o.state = 'responded';
  o.respondedAt = now;
  o.respondedById = actorId(actor);
  o.response = message;
  o.watchAt = null;
  await em.save(o);
  const ev = await appendEvent(em, t, {
    type: 'oversight_responded',
    actor,
    at: now,
    fromState: t.state,
    toState: t.state,
    payload: { orderId: o.id, level: o.level, onTime: now.getTime() < o.respondBy.getTime(), ...(files.length ? { attachments: attachmentRefs(files) } : {}) },
  });
  await recordAttachments(ctx, t, files, { event: ev, context: 'oversight_response', internal: true, orderId: o.id });
  return o;
}

function checkRespond(o: OversightOrder, actor: Actor) {
  if (!canSeeOrder(o, actor)) throw notFound('oversight order');
  if (!canRespond(o, actor)) throw forbidden('only the department the order is addressed to answers it');
  if (o.state !== 'open') throw conflict('oversight-not-open', `the order is ${o.state}`, { state: o.state, allowed: o.state === 'responded' ? ['close'] : [] });
}

/** Whether the actor may answer the order now, checked before files are stored (404/403/409 as {@link respondToOrder}). */
export async function checkCanRespond(em: EntityManager, actor: Actor, id: string): Promise<void> {
  const o = await em.findOneBy(OversightOrder, { id });
  if (!o) throw notFound('oversight order');
  checkRespond(o, actor);
}

/**
 * The coordinator closes an oversight order (`POST /oversight/:id/close`, DESIGN §5), answered
 * or not (e.g. once the ticket is resolved): `open`/`responded` → `closed`. No ticket event:
 * the order records who closed it and when (DESIGN §3 has no event type for it).
 * @throws 404 unknown order, 403 not a coordinator, 409 `oversight-not-open` when already closed
 */
export async function closeOrder(ctx: CommandContext, id: string, note: string | undefined): Promise<OversightOrder> {
  const { em, now, actor } = ctx;
  if (actor.kind !== 'user' || actor.role !== 'coordinator') throw forbidden('the coordinator closes oversight orders');
  const o = await lockOrder(em, id);
  if (o.state === 'closed') throw conflict('oversight-not-open', 'the order is closed', { state: o.state, allowed: [] });
  o.state = 'closed';
  o.closedAt = now;
  o.closedById = actor.userId;
  o.closeNote = note ?? null;
  o.watchAt = null;
  await em.save(o);
  return o;
}

/** Handlers see their own department's orders; coordinators, supervisors and the admin see all (DESIGN §1). */
export function canSeeOrder(o: Pick<OversightOrder, 'departmentCode'>, a: Actor): boolean {
  if (a.kind !== 'user') return false;
  if (['coordinator', 'supervisor', 'admin'].includes(a.role)) return true;
  return a.role === 'handler' && !!a.departmentCode && a.departmentCode === o.departmentCode;
}

export interface OrderFilter {
  departmentCode?: string;
  level?: number;
  state?: OrderState;
  overdue?: boolean;
  ticketId?: string;
  limit: number;
  /** keyset: (openedAt, id) of the last row of the previous page */
  after?: { at: Date; id: string } | null;
}

/**
 * Oversight orders the actor may see, newest first, filtered (DESIGN §13 `GET /oversight`).
 * `overdue` = open and past its response deadline at `now`.
 * @returns up to `limit + 1` rows (the caller pages)
 */
export async function listOrders(em: EntityManager, actor: Actor, f: OrderFilter, now: Date): Promise<OversightOrder[]> {
  return ordersQuery(em, actor, f, now)
    .orderBy('o.opened_at', 'DESC')
    .addOrderBy('o.id', 'DESC')
    .take(f.limit + 1)
    .getMany();
}

/** How many orders {@link listOrders} would list with `f` (every page of them): the homes' figures, counted as the list lists. */
export function countOrders(em: EntityManager, actor: Actor, f: Omit<OrderFilter, 'limit' | 'after'>, now: Date): Promise<number> {
  return ordersQuery(em, actor, { ...f, limit: 0 }, now).getCount();
}

function ordersQuery(em: EntityManager, actor: Actor, f: OrderFilter, now: Date) {
  const qb = em.getRepository(OversightOrder).createQueryBuilder('o');
  if (actor.kind !== 'user') qb.andWhere('1 = 0');
  else if (actor.role === 'handler') qb.andWhere('o.department_code = :own', { own: actor.departmentCode ?? '' });
  else if (!['coordinator', 'supervisor', 'admin'].includes(actor.role)) qb.andWhere('1 = 0');
  if (f.departmentCode) qb.andWhere('o.department_code = :dep', { dep: f.departmentCode });
  if (f.level !== undefined) qb.andWhere('o.level = :lvl', { lvl: f.level });
  if (f.state) qb.andWhere('o.state = :st', { st: f.state });
  if (f.ticketId) qb.andWhere('o.ticket_id = :tid', { tid: f.ticketId });
  if (f.overdue === true) qb.andWhere("o.state = 'open' AND o.respond_by <= :now", { now });
  if (f.overdue === false) qb.andWhere("NOT (o.state = 'open' AND o.respond_by <= :now)", { now });
  if (f.after) {
    const { at, id } = f.after;
    qb.andWhere(new Brackets((w) => w.where('o.opened_at < :cat', { cat: at }).orWhere('o.opened_at = :cat AND o.id < :cid', { cat: at, cid: id })));
  }
  return qb;
}
