/** Closing actions (DESIGN §3): the rating (好差评), withdrawal, the coordinator's reopening and closing. */
import { BAD_RATINGS, Rating } from '../../domain/lifecycle';
import { fieldError } from '../../errors';
import { addMessage } from '../ticket-store';
import { ActionHandler, startNewCycle } from './handler';

/**
 * `rate {rating, comment?, via?}` by the submitter, the access code or intake recording a
 * callback: closes the ticket, or on one of the two bad ratings opens a new cycle in the
 * same department (DESIGN §3).
 * @throws 422 on `via` (`intake_only`)
 */
export const rateTicket: ActionHandler<{ rating: Rating; comment?: string; via?: 'callback' }> = async (ctx, t, input) => {
  const { actor, now } = ctx;
  if (input.via === 'callback' && !(actor.kind === 'user' && actor.role === 'intake')) {
    throw fieldError('via', 'intake_only', 'only intake staff record a rating taken on a callback');
  }
  const payload: Record<string, unknown> = {
    rating: input.rating,
    via: input.via ?? (actor.kind === 'access_code' ? 'access_code' : actor.kind === 'user' && actor.role === 'intake' ? 'callback' : 'owner'),
  };
  if (input.comment) payload.messageId = await addMessage(ctx, t, 'rating_comment', input.comment);
  t.rating = input.rating;
  t.ratedAt = now;
  if (!BAD_RATINGS.includes(input.rating)) {
    t.closedAt = now;
    return { type: 'rated', payload };
  }
  payload.reopened = true;
  startNewCycle(t, now);
  return { type: 'rated', payload, reopened: { cycle: t.cycle, reason: 'bad_rating' } };
};

/** `withdraw {reason?}` by the owner before the reply. */
export const withdrawTicket: ActionHandler<{ reason?: string }> = async (ctx, t, input) => {
  const payload = input.reason ? { messageId: await addMessage(ctx, t, 'withdraw_reason', input.reason) } : {};
  t.closedAt = ctx.now;
  return { type: 'withdrawn', payload };
};

/** `reopen {reason}` by the coordinator: a new cycle in the same department. */
export const reopenTicket: ActionHandler<{ reason: string }> = async (ctx, t, input) => {
  const payload = { cycle: t.cycle + 1, reason: 'coordinator', messageId: await addMessage(ctx, t, 'reopen_reason', input.reason, true) };
  startNewCycle(t, ctx.now);
  return { type: 'reopened', payload };
};

/** `close {note?}` by the coordinator, on a replied ticket. */
export const closeTicket: ActionHandler<{ note?: string }> = async (ctx, t, input) => {
  const payload = input.note ? { messageId: await addMessage(ctx, t, 'note', input.note, true) } : {};
  t.closedAt = ctx.now;
  return { type: 'closed', payload };
};
