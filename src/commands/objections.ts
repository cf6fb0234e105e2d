import { EntityManager, In, Not } from 'typeorm';
import { ResultEntry, Ticket } from '../entities';
import { entryStatus, windowPhase } from '../domain/objection-window';
import { BEFORE_REPLY_STATES } from '../domain/lifecycle';
import { AppError, conflict, fieldError, unprocessable } from '../errors';
import { CommandContext } from './context';
import { addMessage } from './ticket-store';
import { lockNotice, noticeWindow } from './result-notices';
import { isMysql } from '../db';
import type { CreateTicketInput } from './create-ticket';
import type { EventType } from './events';

/** A locking read (MariaDB): under the notice's lock, see the latest committed entry, not an older snapshot. */
const latest = (em: EntityManager) => (isMysql(em) ? { lock: { mode: 'pessimistic_read' as const } } : {});

/**
 * Objections on create (DESIGN §6). Called by `createTicket` for kind `objection` after the
 * identity checks (real-name: anonymous is refused there, and a name is required).
 *
 * The objection names the notice and either an entry (`resultEntryId`) or the credit code
 * of the business concerned (`subjectCreditCode`): a code that is on the list is resolved to
 * its entry; a code that is not is an excluded applicant. It must be filed inside the
 * notice's window, judged at the receipt instant (`receivedAt` for a letter or call staff
 * record later, else now): the window opens 00:00 local on its first day and closes 00:00
 * local after its last day.
 *
 * Sets the ticket's notice, entry and subject fields; returns the notice's handling
 * department (the objection SLA applies through the ticket's kind).
 * Throws 422 naming the field (`resultNoticeId`, `resultEntryId`, `subjectCreditCode`,
 * `accused`), 422 `objection-window-closed` (with `opensAt`, `closesAt`) outside the window,
 * 409 `notice-finalized` once the list is frozen.
 */
export async function prepareObjection(ctx: CommandContext, t: Ticket, input: CreateTicketInput): Promise<string | null> {
  if (!input.resultNoticeId) throw fieldError('resultNoticeId', 'required', 'an objection names the result notice');
  if (input.accused) throw fieldError('accused', 'not_applicable', 'only integrity reports name an accused department');
  if (!input.resultEntryId && !input.subjectCreditCode) {
    throw fieldError('resultEntryId', 'required', 'an objection names an entry of the notice, or the credit code of the business concerned');
  }
  // Locked so that a concurrent finalization either sees this objection or refuses it.
  const notice = await lockNotice(ctx.em, input.resultNoticeId);
  if (!notice) throw fieldError('resultNoticeId', 'unknown', 'no such result notice');
  if (notice.finalizedAt) throw conflict('notice-finalized', 'the result notice is finalized; its list is frozen and takes no objections');
  const w = noticeWindow(notice, ctx.cal, ctx.tz);
  const phase = windowPhase(w, t.receivedAt);
  if (phase !== 'open') {
    throw unprocessable(
      'objection-window-closed',
      phase === 'upcoming' ? `the objection window opens at ${w.opensAt.toISOString()}` : `the objection window closed at ${w.closesAt.toISOString()}`,
      [{ field: 'resultNoticeId', code: phase === 'upcoming' ? 'window_not_open' : 'window_closed', message: `objections are taken from ${w.firstDay} to ${w.lastDay}` }],
      { opensAt: w.opensAt.toISOString(), closesAt: w.closesAt.toISOString() },
    );
  }

  let entry: ResultEntry | null = null;
  if (input.resultEntryId) {
    entry = await ctx.em.findOne(ResultEntry, { where: { id: input.resultEntryId, noticeId: notice.id }, ...latest(ctx.em) });
    if (!entry) throw fieldError('resultEntryId', 'unknown', 'no such entry on this notice');
    if (input.subjectCreditCode && input.subjectCreditCode !== entry.creditCode) {
      throw fieldError('subjectCreditCode', 'mismatch', 'the credit code is not the one of the named entry');
    }
  } else {
    entry = await ctx.em.findOne(ResultEntry, { where: { noticeId: notice.id, creditCode: input.subjectCreditCode! }, ...latest(ctx.em) });
  }
  if (entry?.revokedAt) throw fieldError('resultEntryId', 'revoked', 'this entry has already been revoked');
  t.resultNoticeId = notice.id;
  t.resultEntryId = entry?.id ?? null;
  t.subjectCreditCode = entry?.creditCode ?? input.subjectCreditCode!;
  return notice.handlingDepartmentCode;
}

export interface DecideInput {
  outcome: 'upheld' | 'dismissed';
  reason: string;
}

/**
 * `decide` on an objection (DESIGN §6), by a handler of the notice's handling department
 * (the lifecycle checks who and when). The reason is stored as a `decision` message, which
 * is the answer the objector sees (tracking view, their own ticket) whatever the outcome.
 *
 * - upheld, on an entry: the entry is revoked (final for the list);
 * - upheld, on an excluded applicant: the applicant is flagged for review (shown on the
 *   notice to staff as `reviews`);
 * - dismissed: the entry stays; it shows `listed` again unless another undecided objection
 *   names it. A dismissal in a later cycle (after a bad rating reopened the objection)
 *   restores an entry that this same objection had revoked.
 * Once the notice is finalized the list is frozen: the decision is recorded and answered
 * but changes no entry (`listFrozen: true`).
 *
 * Returns the `decided` event; its payload carries ids and outcomes only (no personal data).
 */
export async function decideObjection(ctx: CommandContext, t: Ticket, input: DecideInput): Promise<{ type: EventType; payload: Record<string, unknown> }> {
  const { em, now } = ctx;
  if (!t.resultNoticeId) throw new AppError(500, 'objection-without-notice', 'the objection names no result notice');
  const notice = await lockNotice(em, t.resultNoticeId);
  if (!notice) throw new AppError(500, 'objection-without-notice', 'the result notice of this objection is missing');
  t.decision = input.outcome;
  const messageId = await addMessage(ctx, t, 'decision', input.reason);
  const payload: Record<string, unknown> = {
    outcome: input.outcome,
    messageId,
    resultNoticeId: notice.id,
    resultEntryId: t.resultEntryId,
    subject: t.resultEntryId ? 'entry' : 'excluded_applicant',
  };
  if (!t.resultEntryId) {
    payload.reviewFlagged = input.outcome === 'upheld';
    return { type: 'decided', payload };
  }
  const entry = await em.findOneByOrFail(ResultEntry, { id: t.resultEntryId });
  if (notice.finalizedAt) {
    payload.listFrozen = true;
  } else if (input.outcome === 'upheld' && !entry.revokedAt) {
    entry.revokedAt = now;
    entry.revokedByTicketId = t.id;
    await em.update(ResultEntry, { id: entry.id }, { revokedAt: now, revokedByTicketId: t.id });
  } else if (input.outcome === 'dismissed' && entry.revokedByTicketId === t.id) {
    entry.revokedAt = null;
    entry.revokedByTicketId = null;
    await em.update(ResultEntry, { id: entry.id }, { revokedAt: null, revokedByTicketId: null });
  }
  // This objection leaves the undecided states with this action; others may still dispute the entry.
  const others = await em.count(Ticket, { where: { kind: 'objection', resultEntryId: entry.id, id: Not(t.id), state: In([...BEFORE_REPLY_STATES]) } });
  payload.entryStatus = entryStatus(!!entry.revokedAt, others);
  return { type: 'decided', payload };
}
