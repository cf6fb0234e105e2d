/** Routing actions (DESIGN §3): dispatch and re-dispatch (改派), return (退单), reject (不予受理), merge (并单). */
import { randomUUID } from 'node:crypto';
import { Department, Ticket, TicketExtension, TicketReturn } from '../../entities';
import { allowedActions, DISCIPLINE_DEPARTMENT } from '../../domain/lifecycle';
import { mergeRefusal } from '../../domain/merge';
import { lockTickets, moveMerged, sameVersion } from '../merges';
import { conflict, fieldError } from '../../errors';
import { isDuplicateKey } from '../../db';
import { addMessage, facts } from '../ticket-store';
import type { ActionHandler } from './handler';

/**
 * `dispatch {departmentCode, note?}`: to an active department; an integrity report only to
 * DIS and never to the accused (409 `conflict-of-interest`), DIS receives nothing else;
 * a re-dispatch (改派) names another department. Restarts the sign-for clock (DESIGN §4).
 * @throws 422 on `departmentCode` (`unknown`, `discipline_only`, `discipline`, `same_department`)
 */
export const dispatchTicket: ActionHandler<{ departmentCode: string; note?: string }> = async (ctx, t, input) => {
  const dep = await ctx.em.findOneBy(Department, { code: input.departmentCode });
  if (!dep?.active) throw fieldError('departmentCode', 'unknown', `unknown department ${input.departmentCode}`);
  if (t.kind === 'integrity_report') {
    if (dep.code === t.accusedDepartmentCode) throw conflict('conflict-of-interest', 'an integrity report is never dispatched to the department it accuses');
    if (dep.code !== DISCIPLINE_DEPARTMENT) throw fieldError('departmentCode', 'discipline_only', 'integrity reports are handled by the discipline department (DIS)');
  } else if (dep.code === DISCIPLINE_DEPARTMENT) {
    throw fieldError('departmentCode', 'discipline', 'the discipline department receives integrity reports only');
  }
  if (t.state === 'dispatched' && dep.code === t.departmentCode) {
    throw fieldError('departmentCode', 'same_department', `the ticket is already with ${dep.code}; 改派 names another department`);
  }
  const payload: Record<string, unknown> = { departmentCode: dep.code, previousDepartmentCode: t.departmentCode, redispatch: t.state === 'dispatched' };
  t.departmentCode = dep.code;
  t.routingClockStart = ctx.now;
  if (input.note) payload.messageId = await addMessage(ctx, t, 'note', input.note, true);
  return { type: 'dispatched', payload };
};

/**
 * `return {reason}` (退单): back to the coordinator at once, at most once per department per
 * cycle (首接负责: dispatched back, it must be handled); the department's undecided extension
 * request goes with it. The owner's reply clock is not reset (DESIGN §4).
 * @throws 409 `already-returned`
 */
export const returnTicket: ActionHandler<{ reason: string }> = async (ctx, t, input) => {
  const { em, now, actor } = ctx;
  try {
    await em.insert(TicketReturn, { id: randomUUID(), ticketId: t.id, cycle: t.cycle, departmentCode: t.departmentCode!, returnedAt: now });
  } catch (e) {
    if (isDuplicateKey(e))
      throw conflict('already-returned', 'this department returned the ticket once in this cycle; dispatched back, it must handle it (首接负责)', {
        state: t.state,
        allowed: allowedActions(facts(t), actor).filter((a) => a !== 'return'),
      });
    throw e;
  }
  const payload: Record<string, unknown> = { departmentCode: t.departmentCode, messageId: await addMessage(ctx, t, 'return_reason', input.reason) };
  // The returning department's undecided extension request goes with it: the next department asks for its own.
  const pendingExt = await em.findOneBy(TicketExtension, { ticketId: t.id, cycle: t.cycle, state: 'requested' });
  if (pendingExt) {
    await em.update(TicketExtension, { id: pendingExt.id }, { state: 'cancelled', decidedAt: now });
    payload.cancelledExtensionId = pendingExt.id;
  }
  t.departmentCode = null;
  t.routingClockStart = now;
  return { type: 'returned', payload };
};

/** `reject {ground, detail}` (不予受理) on a ground of the SAMR complaint rules. */
export const rejectTicket: ActionHandler<{ ground: Ticket['rejectGround'] & string; detail: string }> = async (ctx, t, input) => {
  const payload = { ground: input.ground, messageId: await addMessage(ctx, t, 'reject_detail', input.detail) };
  t.rejectGround = input.ground;
  t.closedAt = ctx.now;
  return { type: 'rejected', payload };
};

/**
 * `merge {intoTicketId}` (并单): a duplicate goes into an open primary, whose reply and
 * closure reach this ticket's submitter too (DESIGN §3). Both rows are locked in id order
 * and checked as they are under the lock (issue 13 item 1), so two coordinators merging A
 * into B and B into A at once never leave both merged: the second finds its primary merged.
 * The tickets already merged into this one follow it into the primary (`moveMerged`), so a
 * merge is always one level deep.
 * @throws 422 on `intoTicketId` (`self`, `unknown`, `not_open`); 409 `merge-into-merged` when
 *   the primary is itself merged (with its `mergedIntoId`); 409 `concurrent-update`
 */
export const mergeTicket: ActionHandler<{ intoTicketId: string }> = async (ctx, t, input) => {
  if (input.intoTicketId === t.id) throw fieldError('intoTicketId', 'self', 'a ticket cannot be merged into itself');
  const locked = await lockTickets(ctx.em, [t.id, input.intoTicketId]);
  sameVersion(t, locked.get(t.id));
  const primary = locked.get(input.intoTicketId) ?? null;
  const refusal = mergeRefusal(t, primary);
  if (refusal === 'merged') {
    throw conflict('merge-into-merged', `the primary ticket ${primary!.number} is itself merged into another ticket; merge into that one`, {
      intoTicketId: primary!.id,
      mergedIntoId: primary!.mergedIntoId,
    });
  }
  if (refusal === 'unknown' || !primary) throw fieldError('intoTicketId', 'unknown', 'no such ticket');
  if (refusal === 'not_open') throw fieldError('intoTicketId', 'not_open', `the primary ticket is ${primary.state}`);
  if (refusal === 'self') throw fieldError('intoTicketId', 'self', 'a ticket cannot be merged into itself');
  const moved = await moveMerged(ctx, t, primary);
  t.mergedIntoId = primary.id;
  t.closedAt = ctx.now;
  return { type: 'merged', payload: { intoTicketId: primary.id, intoNumber: primary.number, ...(moved.length ? { movedTicketIds: moved } : {}) } };
};
