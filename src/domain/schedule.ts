/**
 * A ticket's deadlines as one pure function of its stored inputs (DESIGN §4): receipt,
 * cycle start, the routing clock start, pauses and approved extensions of the cycle, the
 * SLA policy and the calendar. Recompute, never patch.
 */
import { WorkCalendar, addCalendarDays } from './calendar';
import { addWorkingDays, computeDeadline, Deadline, Duration, Pause, localDate, startOfLocalDay } from './deadline';
import type { TicketKind, TicketState, Priority } from './lifecycle';
import { earliestOwedDeadline, REPLY_CLOCK_STATES } from './owed';

/** Stored shape of an SLA policy (`sla_policy` table; admin-editable). */
export interface SlaPolicyValues {
  kind: TicketKind;
  priority: Priority;
  signAmount: number;
  signUnit: Duration['unit'];
  replyAmount: number;
  replyUnit: Duration['unit'];
}

/** Default SLA policies of DESIGN §4. Kinds without an `urgent` row use their `normal` row. */
export const DEFAULT_SLA_POLICIES: readonly SlaPolicyValues[] = [
  { kind: 'complaint', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 5, replyUnit: 'working_days' },
  { kind: 'complaint', priority: 'urgent', signAmount: 2, signUnit: 'hours', replyAmount: 24, replyUnit: 'hours' },
  { kind: 'suggestion', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 15, replyUnit: 'working_days' },
  { kind: 'objection', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 10, replyUnit: 'working_days' },
  { kind: 'integrity_report', priority: 'normal', signAmount: 1, signUnit: 'working_days', replyAmount: 15, replyUnit: 'working_days' },
];

/** Working days the coordinator has to dispatch a `registered` ticket (DESIGN §4). */
export const DISPATCH_WORKING_DAYS = 1;
/** Working days the submitter has to rate a reply before it closes with rating `none` (§3). */
export const RATING_WINDOW_WORKING_DAYS = 3;
/** Working days an information request waits for a supplement before the clock resumes (§3). */
export const INFO_WAIT_WORKING_DAYS = 5;
/** Working days after the reply deadline at which a missing reply is raised to level 3 (§5). */
export const RED_CARD_EXTRA_WORKING_DAYS = 5;
/** Working days a department has to respond to an oversight order (§5). */
export const OVERSIGHT_RESPONSE_WORKING_DAYS = 2;

/** Picks the policy for (kind, priority), falling back to the kind's `normal` row. */
export function policyFor(policies: readonly SlaPolicyValues[], kind: TicketKind, priority: Priority): SlaPolicyValues {
  const p = policies.find((x) => x.kind === kind && x.priority === priority) ?? policies.find((x) => x.kind === kind && x.priority === 'normal');
  if (!p) throw new Error(`no SLA policy for ${kind}/${priority}`);
  return p;
}

export interface ScheduleInput {
  state: TicketState;
  cycleStartedAt: Date;
  /** dispatch clock start when `registered`, sign-for clock start when `dispatched` */
  routingClockStart: Date | null;
  repliedAt: Date | null;
  /** start of the current `awaiting_info` pause */
  pausedAt: Date | null;
  /** pauses of the current cycle (the open one has `to: null`) */
  pauses: readonly Pause[];
  /** approved extensions of the current cycle, working days */
  extensionWorkingDays: number;
  policy: SlaPolicyValues;
  /** values stored before, kept where a clock has stopped (a signed ticket keeps its signBy) */
  previous: { signBy: Date | null; replyBy: Date | null; redBy: Date | null; rateBy: Date | null };
}

/** All deadlines of a ticket, UTC instants; `null` where no clock of that kind applies. */
export interface Schedule {
  dispatchBy: Date | null;
  signBy: Date | null;
  replyBy: Date | null;
  redBy: Date | null;
  rateBy: Date | null;
  /** when an unanswered information request resumes the clock */
  infoWaitBy: Date | null;
  /** from when the earliest owed deadline (dispatch, sign-for, reply) is due soon */
  dueSoonAt: Date | null;
  provisional: boolean;
}

/**
 * Computes every deadline of a ticket from its inputs (DESIGN §4):
 * - dispatch: 1 working day from the dispatch clock start, while `registered`;
 * - sign for: the policy's sign duration from the latest dispatch, while `dispatched`;
 * - reply: the policy's reply duration from the cycle start, plus pauses and approved
 *   extensions, while the reply is owed; `redBy` is the same with 5 more working days
 *   (for an hour clock: 5 working days after `replyBy`);
 * - rating window: 3 working days from the reply, while `replied`.
 * A stopped clock keeps its last value (for display and reports). `asOf` closes an open pause.
 */
export function computeSchedule(input: ScheduleInput, cal: WorkCalendar, tz: string, asOf: Date): Schedule {
  const parts: Deadline[] = [];
  const keep = (d: Deadline | null) => {
    if (d) parts.push(d);
    return d ? d.dueAt : null;
  };
  const { state, policy } = input;
  const dispatchBy = state === 'registered' ? keep(addWorkingDays(input.routingClockStart ?? input.cycleStartedAt, DISPATCH_WORKING_DAYS, cal, tz)) : null;
  let signBy: Date | null = input.previous.signBy;
  if (state === 'dispatched') {
    signBy = keep(computeDeadline({ start: input.routingClockStart ?? input.cycleStartedAt, duration: { unit: policy.signUnit, amount: policy.signAmount } }, cal, tz));
  } else if (state === 'registered') {
    signBy = null;
  }
  let replyBy = input.previous.replyBy;
  let redBy = input.previous.redBy;
  if (REPLY_CLOCK_STATES.includes(state)) {
    const base = { start: input.cycleStartedAt, pauses: input.pauses, extensionWorkingDays: input.extensionWorkingDays, asOf };
    const reply = computeDeadline({ ...base, duration: { unit: policy.replyUnit, amount: policy.replyAmount } }, cal, tz);
    replyBy = keep(reply);
    redBy =
      policy.replyUnit === 'working_days'
        ? keep(computeDeadline({ ...base, duration: { unit: 'working_days', amount: policy.replyAmount + RED_CARD_EXTRA_WORKING_DAYS } }, cal, tz))
        : keep(addWorkingDays(reply.dueAt, RED_CARD_EXTRA_WORKING_DAYS, cal, tz));
  }
  let rateBy = input.previous.rateBy;
  if (state === 'replied' && input.repliedAt) rateBy = keep(addWorkingDays(input.repliedAt, RATING_WINDOW_WORKING_DAYS, cal, tz));
  if (REPLY_CLOCK_STATES.includes(state)) rateBy = null;
  const infoWaitBy = state === 'awaiting_info' && input.pausedAt ? keep(addWorkingDays(input.pausedAt, INFO_WAIT_WORKING_DAYS, cal, tz)) : null;
  // Due soon is about the earliest owed deadline (domain/owed.ts), with the length of its clock when it counts hours.
  const earliest = earliestOwedDeadline({ state, dispatchBy, signBy, replyBy });
  const hours = earliest?.deadline === 'sign' && policy.signUnit === 'hours' ? policy.signAmount : earliest?.deadline === 'reply' && policy.replyUnit === 'hours' ? policy.replyAmount : undefined;
  const dueSoonAt = earliest ? dueSoonInstant(earliest.dueAt, hours, cal, tz) : null;
  return { dispatchBy, signBy, replyBy, redBy, rateBy, infoWaitBy, dueSoonAt, provisional: parts.some((p) => p.provisional) };
}

/**
 * A ticket is due soon on the last working day before a working-day deadline, or in the
 * last quarter of an hour clock (DESIGN §4). `hours` is the clock's length for hour clocks.
 */
export function dueSoonInstant(dueAt: Date, hours: number | undefined, cal: WorkCalendar, tz: string): Date {
  if (hours !== undefined) return new Date(dueAt.getTime() - (hours * 3_600_000) / 4);
  let d = addCalendarDays(localDate(dueAt, tz), -1);
  for (let i = 0; i < 400 && !cal.isWorkingDay(d); i++) d = addCalendarDays(d, -1);
  return startOfLocalDay(d, tz);
}

/**
 * The earliest instant after which the clock must look at the ticket again (indexed as
 * `next_check_at` so that the sweep reads only due tickets). `null` for a ticket whose
 * clocks have all stopped.
 */
export function nextCheckAt(state: TicketState, s: Schedule): Date | null {
  const candidates: (Date | null)[] = [];
  switch (state) {
    // dueSoonAt too: the due-soon reminder is owed as surely as the escalation (found by the sweep if a timer is lost).
    case 'registered':
      candidates.push(s.dueSoonAt, s.dispatchBy, s.replyBy, s.redBy);
      break;
    case 'dispatched':
      candidates.push(s.dueSoonAt, s.signBy, s.replyBy, s.redBy);
      break;
    case 'in_progress':
      candidates.push(s.dueSoonAt, s.replyBy, s.redBy);
      break;
    case 'awaiting_info':
      candidates.push(s.infoWaitBy);
      break;
    case 'replied':
      candidates.push(s.rateBy);
      break;
    default:
      break;
  }
  const times = candidates.filter((d): d is Date => d !== null).map((d) => d.getTime());
  return times.length ? new Date(Math.min(...times)) : null;
}
