import { TicketExtension, TicketPause, Ticket } from '../entities';
import { computeSchedule, nextCheckAt, policyFor } from '../domain/schedule';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { CommandContext } from './context';
import { loadPolicies } from './reference-data';

/** Recomputes every deadline of the ticket from its stored inputs (DESIGN §4) and sets `nextCheckAt`. */
export async function recomputeDeadlines(ctx: Pick<CommandContext, 'em' | 'cal' | 'tz' | 'now'>, t: Ticket, known?: { pauses?: TicketPause[]; extensions?: TicketExtension[] }) {
  const policy = policyFor(await loadPolicies(ctx.em), t.kind, t.priority);
  // A returned ticket keeps its cycle's pauses and extensions: the owner's wait is not reset (DESIGN §4).
  const pauses = known?.pauses ?? (await ctx.em.find(TicketPause, { where: { ticketId: t.id, cycle: t.cycle } }));
  const extensions = known?.extensions ?? (await ctx.em.find(TicketExtension, { where: { ticketId: t.id, cycle: t.cycle, state: 'approved' } }));
  const s = computeSchedule(
    {
      state: t.state,
      cycleStartedAt: t.cycleStartedAt,
      routingClockStart: t.routingClockStart,
      repliedAt: t.repliedAt,
      pausedAt: t.pausedAt,
      pauses: pauses.map((p) => ({ from: p.pausedAt, to: p.resumedAt })),
      extensionWorkingDays: extensions.filter((e) => e.state === 'approved').reduce((n, e) => n + e.workingDays, 0),
      policy,
      previous: { signBy: t.signBy, replyBy: t.replyBy, redBy: t.redBy, rateBy: t.rateBy },
    },
    ctx.cal,
    ctx.tz,
    ctx.now,
  );
  if (t.kind === 'integrity_report' && t.accusedDepartmentCode === DISCIPLINE_DEPARTMENT) {
    // Handed to the higher-level commission (DESIGN §7): no district clock runs on it.
    Object.assign(s, { dispatchBy: null, signBy: null, replyBy: null, redBy: null, rateBy: null, infoWaitBy: null, dueSoonAt: null });
  }
  t.dispatchBy = s.dispatchBy;
  t.signBy = s.signBy;
  t.replyBy = s.replyBy;
  t.redBy = s.redBy;
  t.rateBy = s.rateBy;
  t.dueSoonAt = s.dueSoonAt;
  t.deadlinesProvisional = s.provisional;
  t.nextCheckAt = nextCheckAt(t.state, s);
  return s;
}
