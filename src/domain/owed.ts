/**
 * Which deadline the government owes in which state, and the facts derived from it
 * (DESIGN §4): *overdue* from an owed deadline on, *due soon* from `dueSoonAt` until then.
 * Stated once here; the presenters, the SQL list filters (`queries/tickets.ts`), the
 * schedule's `dueSoonAt` and the clock's ladder all derive from this table (one table test,
 * `test/domain/owed.test.ts`, holds them together). Pure: no I/O, no clock.
 */
import type { TicketState } from './lifecycle';
import { BEFORE_REPLY_STATES } from './lifecycle';

/** A deadline owed by the government: the dispatch (coordinator), the sign-for, the reply (department). */
export type OwedDeadline = 'dispatch' | 'sign' | 'reply';

/** The stored column of each owed deadline (UTC instant). */
export const OWED_FIELD = { dispatch: 'dispatchBy', sign: 'signBy', reply: 'replyBy' } as const satisfies Record<OwedDeadline, string>;

/**
 * The deadlines each state owes, in tie-break order (DESIGN §4 "where each clock starts"):
 * the dispatch clock runs while `registered`, the sign-for clock while `dispatched`, the
 * reply clock until the reply (it is paused in `awaiting_info`, which therefore owes nothing
 * now). The rating window is the owner's, never owed by the government.
 */
export const OWED_IN_STATE: Readonly<Record<TicketState, readonly OwedDeadline[]>> = {
  registered: ['dispatch', 'reply'],
  dispatched: ['sign', 'reply'],
  in_progress: ['reply'],
  awaiting_info: [],
  replied: [],
  closed: [],
  rejected: [],
  withdrawn: [],
  merged: [],
};

/** States in which the reply clock runs (paused through `awaiting_info`): the states before the reply. */
export const REPLY_CLOCK_STATES: readonly TicketState[] = BEFORE_REPLY_STATES;

/** States that owe a deadline now. */
export const OWING_STATES: readonly TicketState[] = (Object.keys(OWED_IN_STATE) as TicketState[]).filter((s) => OWED_IN_STATE[s].length > 0);

/** The states owing `deadline`. */
export const statesOwing = (deadline: OwedDeadline): TicketState[] => (Object.keys(OWED_IN_STATE) as TicketState[]).filter((s) => OWED_IN_STATE[s].includes(deadline));

export interface OwedFacts {
  state: TicketState;
  dispatchBy: Date | null;
  signBy: Date | null;
  replyBy: Date | null;
}

/** The owed deadlines of a ticket now, in the table's order (ties keep it). */
export function owedDeadlines(t: OwedFacts): { deadline: OwedDeadline; dueAt: Date }[] {
  return OWED_IN_STATE[t.state].flatMap((deadline) => {
    const dueAt = t[OWED_FIELD[deadline]];
    return dueAt ? [{ deadline, dueAt }] : [];
  });
}

/** The earliest owed deadline (on a tie the dispatch or sign-for one), or `null`: what `dueSoonAt` is about. */
export function earliestOwedDeadline(t: OwedFacts): { deadline: OwedDeadline; dueAt: Date } | null {
  const owed = owedDeadlines(t);
  // stable sort keeps the table's order on a tie
  return owed.length ? owed.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime())[0] : null;
}

/** Overdue (DESIGN §4): an owed deadline has come (`dueAt ≤ now`). Derived, never stored. */
export function isOverdue(t: OwedFacts, now: Date): boolean {
  return owedDeadlines(t).some((d) => d.dueAt.getTime() <= now.getTime());
}

/** Due soon (DESIGN §4): owing a deadline, `dueSoonAt ≤ now`, and not yet overdue. */
export function isDueSoon(t: OwedFacts & { dueSoonAt: Date | null }, now: Date): boolean {
  return OWING_STATES.includes(t.state) && !!t.dueSoonAt && t.dueSoonAt.getTime() <= now.getTime() && !isOverdue(t, now);
}

/** Whether an answer at `at` met `deadline`: strictly before it, or no deadline ran (DESIGN §9). */
export function isOnTime(deadline: Date | null, at: Date): boolean {
  return !deadline || at.getTime() < deadline.getTime();
}

/** The stored deadlines a work list sorts by, per state (see {@link listDeadline}). */
export type ListDeadlineField = (typeof OWED_FIELD)[OwedDeadline] | 'rateBy';

/**
 * The "next deadline" of a ticket in the workbench lists (issue 10: lists sorted by next
 * deadline): the owed deadlines of {@link OWED_IN_STATE} and, for a replied ticket, the
 * rating window (the date the callback list works to). A paused or finished ticket has
 * none and sorts last. The SQL sort key (`listDeadlineSql`, queries/tickets.ts) is
 * generated from this table.
 */
export const LIST_DEADLINE_IN_STATE: Readonly<Record<TicketState, readonly ListDeadlineField[]>> = Object.fromEntries(
  (Object.keys(OWED_IN_STATE) as TicketState[]).map((s) => [s, s === 'replied' ? ['rateBy'] : OWED_IN_STATE[s].map((d) => OWED_FIELD[d])]),
) as unknown as Record<TicketState, readonly ListDeadlineField[]>;

/** The earliest of the ticket's list deadlines (UTC instant), or null. */
export function listDeadline(t: OwedFacts & { rateBy: Date | null }): Date | null {
  const ds = LIST_DEADLINE_IN_STATE[t.state].map((f) => t[f]).filter((d): d is Date => !!d);
  return ds.length ? ds.reduce((a, b) => (b.getTime() < a.getTime() ? b : a)) : null;
}
