/** Handling actions (DESIGN §3): sign for, information requests, extensions, the reply, internal notes. */
import { randomUUID } from 'node:crypto';
import { IsNull } from 'typeorm';
import { TicketExtension, TicketPause } from '../../entities';
import { allowedActions, Outcome } from '../../domain/lifecycle';
import { conflict, unprocessable } from '../../errors';
import { addMessage, facts } from '../ticket-store';
import type { ActionHandler } from './handler';

/** `sign` (签收); the wrapper records whether it met the sign-for deadline. */
export const signForTicket: ActionHandler<object> = async (_ctx, t) => ({ type: 'signed', payload: { signBy: t.signBy?.toISOString() ?? null } });

/** `request-info {message}`: the reply clock pauses until the supplement (DESIGN §4 pauses). */
export const requestInfo: ActionHandler<{ message: string }> = async (ctx, t, input) => {
  const payload = { messageId: await addMessage(ctx, t, 'info_request', input.message) };
  t.pausedAt = ctx.now;
  await ctx.em.insert(TicketPause, { id: randomUUID(), ticketId: t.id, cycle: t.cycle, pausedAt: ctx.now, resumedAt: null });
  return { type: 'info_requested', payload };
};

/** `supplement {message}` by the submitter (or intake for them): the pause ends. */
export const supplementTicket: ActionHandler<{ message: string }> = async (ctx, t, input) => {
  const payload = { messageId: await addMessage(ctx, t, 'supplement', input.message) };
  // IsNull(): TypeORM 1.x refuses a plain null in a where (invalidWhereValuesBehavior: throw).
  await ctx.em.update(TicketPause, { ticketId: t.id, cycle: t.cycle, resumedAt: IsNull() }, { resumedAt: ctx.now });
  t.pausedAt = null;
  return { type: 'supplemented', payload };
};

/**
 * `request-extension {workingDays, reason}`: only before the reply deadline, one undecided at a time.
 * @throws 422 `extension-too-late`; 409 `extension-pending`
 */
export const requestExtension: ActionHandler<{ workingDays: number; reason: string }> = async (ctx, t, input) => {
  const { em, now, actor } = ctx;
  if (t.replyBy && now.getTime() >= t.replyBy.getTime()) {
    throw unprocessable('extension-too-late', 'an extension must be requested before the reply deadline', [
      { field: 'workingDays', code: 'too_late', message: `the reply was due ${t.replyBy.toISOString()}` },
    ]);
  }
  const pending = await em.findOneBy(TicketExtension, { ticketId: t.id, cycle: t.cycle, state: 'requested' });
  if (pending)
    throw conflict('extension-pending', 'an extension request is already waiting for a decision', {
      state: t.state,
      allowed: allowedActions(facts(t), actor).filter((a) => a !== 'request-extension'),
    });
  const ext = {
    id: randomUUID(),
    ticketId: t.id,
    cycle: t.cycle,
    workingDays: input.workingDays,
    reason: input.reason,
    state: 'requested',
    requestedById: actor.kind === 'user' ? actor.userId : '',
    requestedAt: now,
    decidedById: null,
    decidedAt: null,
  };
  await em.insert(TicketExtension, ext);
  return { type: 'extension_requested', payload: { extensionId: ext.id, workingDays: input.workingDays } };
};

/**
 * `decide-extension {approve, note?}` by the coordinator: an approved extension adds its
 * working days to the reply deadline (recomputed by the wrapper).
 * @throws 409 `no-pending-extension`
 */
export const decideExtension: ActionHandler<{ approve: boolean; note?: string }> = async (ctx, t, input) => {
  const { em, now, actor } = ctx;
  const pending = await em.findOneBy(TicketExtension, { ticketId: t.id, cycle: t.cycle, state: 'requested' });
  if (!pending) throw conflict('no-pending-extension', 'there is no extension request to decide', { state: t.state, allowed: allowedActions(facts(t), actor).filter((a) => a !== 'decide-extension') });
  pending.state = input.approve ? 'approved' : 'denied';
  pending.decidedById = actor.kind === 'user' ? actor.userId : null;
  pending.decidedAt = now;
  await em.save(pending);
  const payload: Record<string, unknown> = { extensionId: pending.id, approved: input.approve, workingDays: pending.workingDays };
  if (input.note) payload.messageId = await addMessage(ctx, t, 'extension_decision', input.note);
  return { type: 'extension_decided', payload };
};

/** `reply {outcome, message}` (答复); the wrapper records whether it met the reply deadline. */
export const replyToTicket: ActionHandler<{ outcome: Outcome; message: string }> = async (ctx, t, input) => {
  const payload = { outcome: input.outcome, messageId: await addMessage(ctx, t, 'reply', input.message) };
  t.outcome = input.outcome;
  t.repliedAt = ctx.now;
  return { type: 'replied', payload };
};

/** `note {text}`: an internal note, staff only. */
export const addNote: ActionHandler<{ text: string }> = async (ctx, t, input) => ({ type: 'note', payload: { messageId: await addMessage(ctx, t, 'note', input.text, true) } });
