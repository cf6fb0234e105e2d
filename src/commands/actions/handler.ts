import type { Ticket } from '../../entities';
import type { CommandContext } from '../context';
import type { EventType } from '../events';

/** What an action handler did: the event to write, and a new cycle's `reopened` event when a bad rating opened one. */
export interface ActionOutcome {
  type: EventType;
  payload: Record<string, unknown>;
  /** payload of the `reopened` event that follows in the new cycle (a bad rating) */
  reopened?: Record<string, unknown>;
}

/**
 * One action's own work on an authorized, loaded ticket, in the caller's transaction: checks
 * its values (4xx), changes the ticket in memory and writes the rows particular to it. The
 * wrapper sets the next state, recomputes the deadlines, saves and writes the event.
 */
export type ActionHandler<I> = (ctx: CommandContext, t: Ticket, input: I) => Promise<ActionOutcome>;

/**
 * Starts a new cycle (bad rating, reopening; DESIGN §3): fresh reply and sign-for clocks in
 * the same department, or `registered` when no department ever had it.
 */
export function startNewCycle(t: Ticket, now: Date): void {
  t.cycle += 1;
  t.state = t.departmentCode ? 'dispatched' : 'registered';
  t.cycleStartedAt = now;
  t.routingClockStart = now;
  t.outcome = null;
  t.repliedAt = null;
  t.rateBy = null;
  t.signBy = null;
  t.replyBy = null;
  t.redBy = null;
  t.closedAt = null;
  t.pausedAt = null;
  t.escalationLevel = 0;
}
