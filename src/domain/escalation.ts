/**
 * The escalation ladder (督办, DESIGN §5) and the clock's own transitions (§3), as one pure
 * function: given what is stored about a ticket (state, deadlines, the levels already fired
 * in its current cycle, its oversight orders, the due-soon notices already sent) and `now`,
 * {@link planClock} says what is due now, in order, and when the clock must look again.
 *
 * No I/O and no wall clock: the commands load the facts, apply the steps under a row lock
 * and a unique key per (ticket, cycle, level), and arm timers for `timers`.
 *
 * The ladder (DESIGN §5):
 * - level 1 催办 (reminder): the sign-for deadline passed while `dispatched` (to the
 *   department head), or the dispatch deadline passed while `registered` (to the
 *   coordinator office);
 * - level 2 黄牌 (yellow card): the reply deadline passed while the reply is owed, by hand,
 *   or on the second reopening — an oversight order to the department, response in
 *   2 working days;
 * - level 3 红牌 (red card): the reply still missing at the deadline of N + 5 working days,
 *   or a level-2 oversight order of the current cycle left unanswered past its deadline,
 *   or by hand — raised to the discipline supervisors.
 * Each level happens at most once per cycle, and the ladder only climbs: once a level has
 * fired in a cycle, lower levels no longer fire in that cycle. A ticket past several
 * triggers climbs through every due level in the same plan, lowest first.
 * Integrity reports escalate straight to the supervisors: any trigger raises level 3.
 */
import type { Schedule } from './schedule';
import { DISCIPLINE_DEPARTMENT, OPEN_STATES, SystemAction, TicketKind, TicketState } from './lifecycle';
import { earliestOwedDeadline, OwedDeadline, owedDeadlines, statesOwing } from './owed';

export type { OwedDeadline };

export type EscalationLevel = 1 | 2 | 3;

/** Why a level fired; the `reason` of the `escalated` event (payload `{ level, reason }`). */
export const ESCALATION_REASONS = ['dispatch_late', 'sign_late', 'reply_late', 'reply_missing', 'oversight_late', 'manual', 'second_reopening'] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

/** Who an escalation is addressed to (DESIGN §5 "effect"). */
export type EscalationTarget = 'coordinator_office' | 'department_head' | 'department' | 'supervisors';

/** What the ladder needs to know of the ticket. */
export interface LadderTicket {
  kind: TicketKind;
  state: TicketState;
  cycle: number;
  departmentCode: string | null;
  accusedDepartmentCode: string | null;
}

/** Stored deadlines of the current cycle (UTC instants; `null` = no such clock now): the schedule of `schedule.ts`. */
export type LadderDeadlines = Omit<Schedule, 'provisional'>;

/** An oversight order of the ticket (any cycle) as far as the clock is concerned. */
export interface LadderOrder {
  id: string;
  cycle: number;
  level: number;
  state: 'open' | 'responded' | 'closed';
  respondBy: Date;
  /** set once the order's lateness was acted upon */
  lateAt: Date | null;
}

export interface LadderInput {
  ticket: LadderTicket;
  deadlines: LadderDeadlines;
  /** levels already fired in the ticket's current cycle */
  firedLevels: readonly number[];
  orders: readonly LadderOrder[];
  /** due-soon notices already sent in the current cycle */
  dueSoonSent: readonly { deadline: OwedDeadline; dueAt: Date }[];
  now: Date;
}

/** One thing due now. */
export type ClockStep =
  | { step: 'due_soon'; deadline: OwedDeadline; dueAt: Date }
  | { step: 'escalate'; level: EscalationLevel; reason: EscalationReason; target: EscalationTarget; triggeredAt: Date; orderId?: string }
  | { step: 'order_late'; orderId: string; respondBy: Date }
  | { step: 'system'; action: SystemAction; dueAt: Date };

/**
 * A future instant at which something becomes due. `kind` is `due_soon`, `dispatch`, `sign`,
 * `reply`, `red`, `info_wait`, `rate`, or `oversight:<orderId>`; with the ticket, its cycle
 * and `dueAt` it makes the timer's deterministic job id.
 */
export interface ClockTimer {
  kind: string;
  dueAt: Date;
}

export interface ClockPlan {
  /** due now, in the order to apply them: due-soon notices, escalations (lowest level first), late orders, then at most one system transition */
  steps: ClockStep[];
  /** everything that will become due later, earliest first */
  timers: ClockTimer[];
  /** the earliest of `timers` (the ticket's `next_check_at`), `null` when nothing will ever be due */
  nextCheckAt: Date | null;
}

/**
 * A report accusing the discipline department itself is sent to the higher commission and
 * handled outside the district (DESIGN §7): no district clock runs on it.
 */
export function outsideDistrict(t: Pick<LadderTicket, 'kind' | 'accusedDepartmentCode'>): boolean {
  return t.kind === 'integrity_report' && t.accusedDepartmentCode === DISCIPLINE_DEPARTMENT;
}

/**
 * The level a trigger raises: its own, except on an integrity report, which escalates
 * straight to the supervisors (level 3, DESIGN §5).
 */
export function effectiveLevel(kind: TicketKind, level: EscalationLevel): EscalationLevel {
  return kind === 'integrity_report' ? 3 : level;
}

/**
 * Who a level is addressed to (DESIGN §5): level 1 to the department head, or the
 * coordinator office for an undispatched ticket; level 2 to the department (the
 * coordinator office when there is none yet); level 3 and every level of an integrity
 * report to the discipline supervisors.
 */
export function escalationTarget(t: Pick<LadderTicket, 'kind' | 'state' | 'departmentCode'>, level: EscalationLevel): EscalationTarget {
  if (t.kind === 'integrity_report' || level === 3) return 'supervisors';
  if (level === 1) return t.state === 'registered' || !t.departmentCode ? 'coordinator_office' : 'department_head';
  return t.departmentCode ? 'department' : 'coordinator_office';
}

/** The level an owed deadline raises when it passes (DESIGN §5). */
const LATE: Record<OwedDeadline, { level: EscalationLevel; reason: EscalationReason }> = {
  dispatch: { level: 1, reason: 'dispatch_late' },
  sign: { level: 1, reason: 'sign_late' },
  reply: { level: 2, reason: 'reply_late' },
};

interface Trigger {
  level: EscalationLevel;
  reason: EscalationReason;
  at: Date;
  kind: string;
  orderId?: string;
}

/**
 * What the clock must do for one ticket now, and when it must look again (DESIGN §3–§5).
 *
 * Escalation triggers by state (only for the current cycle's deadlines, so a new cycle after
 * a bad rating never fires at once for the old cycle's breaches):
 * - `registered`: dispatchBy → level 1 `dispatch_late`;
 * - `dispatched`: signBy → level 1 `sign_late`;
 * - reply owed (`registered`, `dispatched`, `in_progress`): replyBy → level 2 `reply_late`,
 *   redBy → level 3 `reply_missing`; the reply clock is stopped in `awaiting_info`;
 * - any open state: an open, unanswered level-2 order of the current cycle past its
 *   respondBy → level 3 `oversight_late`.
 * A trigger fires when its instant is ≤ now and its (effective) level is above every level
 * fired so far in the cycle; due triggers fire lowest level first (a late-recorded call
 * climbs 1 → 2 → 3 at once).
 *
 * Also: a due-soon notice for the earliest owed deadline once `dueSoonAt` ≤ now < the
 * deadline (once per deadline instant); every open order past its respondBy is marked late
 * once (also orders of earlier cycles or of a closed ticket, which never escalate); `awaiting_info` past
 * infoWaitBy → `info-timeout`; `replied` past rateBy → `rating-timeout`. A system step comes
 * last: the caller applies the steps, then plans again with the new state.
 */
export function planClock(input: LadderInput): ClockPlan {
  const { ticket: t, deadlines: d, now } = input;
  const nowMs = now.getTime();
  const isDue = (x: Date) => x.getTime() <= nowMs;
  const steps: ClockStep[] = [];
  const future: ClockTimer[] = [];
  const done = (): ClockPlan => {
    future.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.kind.localeCompare(b.kind));
    return { steps, timers: future, nextCheckAt: future.length ? future[0].dueAt : null };
  };
  // Lateness of every open order (any cycle, whatever the ticket's state): marked once, and notified.
  const lateOrders: ClockStep[] = [];
  for (const o of input.orders) {
    if (o.state !== 'open' || o.lateAt !== null) continue;
    if (isDue(o.respondBy)) lateOrders.push({ step: 'order_late', orderId: o.id, respondBy: o.respondBy });
    else future.push({ kind: `oversight:${o.id}`, dueAt: o.respondBy });
  }
  if (outsideDistrict(t) || !OPEN_STATES.includes(t.state)) {
    steps.push(...lateOrders);
    return done();
  }

  // Due-soon notice for the earliest owed deadline (not once it has passed: then it escalates).
  const owed = earliestOwedDeadline({ state: t.state, ...d });
  if (owed && d.dueSoonAt && owed.dueAt.getTime() > nowMs) {
    const sent = input.dueSoonSent.some((s) => s.deadline === owed.deadline && s.dueAt.getTime() === owed.dueAt.getTime());
    if (!sent) {
      if (isDue(d.dueSoonAt)) steps.push({ step: 'due_soon', deadline: owed.deadline, dueAt: owed.dueAt });
      else future.push({ kind: 'due_soon', dueAt: d.dueSoonAt });
    }
  }

  // Escalation triggers of the current cycle.
  const triggers: Trigger[] = [];
  for (const o of owedDeadlines({ state: t.state, ...d })) triggers.push({ ...LATE[o.deadline], at: o.dueAt, kind: o.deadline });
  if (statesOwing('reply').includes(t.state) && d.redBy) triggers.push({ level: 3, reason: 'reply_missing', at: d.redBy, kind: 'red' });
  for (const o of input.orders) {
    if (o.cycle === t.cycle && o.level === 2 && o.state === 'open' && o.lateAt === null) {
      triggers.push({ level: 3, reason: 'oversight_late', at: o.respondBy, kind: `oversight:${o.id}`, orderId: o.id });
    }
  }
  for (const tr of triggers) tr.level = effectiveLevel(t.kind, tr.level);
  triggers.sort((a, b) => a.level - b.level || a.at.getTime() - b.at.getTime());
  let top = Math.max(0, ...input.firedLevels);
  for (const tr of triggers) {
    if (tr.level > top && isDue(tr.at)) {
      steps.push({ step: 'escalate', level: tr.level, reason: tr.reason, target: escalationTarget(t, tr.level), triggeredAt: tr.at, ...(tr.orderId ? { orderId: tr.orderId } : {}) });
      top = tr.level;
    }
  }
  for (const tr of triggers) {
    // an order's timer is already there for its lateness notice
    if (tr.level > top && !isDue(tr.at) && !tr.orderId) future.push({ kind: tr.kind, dueAt: tr.at });
  }
  steps.push(...lateOrders);

  // The clock's own transitions (DESIGN §3).
  if (t.state === 'awaiting_info' && d.infoWaitBy) {
    if (isDue(d.infoWaitBy)) steps.push({ step: 'system', action: 'info-timeout', dueAt: d.infoWaitBy });
    else future.push({ kind: 'info_wait', dueAt: d.infoWaitBy });
  }
  if (t.state === 'replied' && d.rateBy) {
    if (isDue(d.rateBy)) steps.push({ step: 'system', action: 'rating-timeout', dueAt: d.rateBy });
    else future.push({ kind: 'rate', dueAt: d.rateBy });
  }

  return done();
}

/**
 * Whether a manual escalation to `level` is possible now (DESIGN §5 "manual"): the level
 * must be above every level fired in the cycle (the ladder only climbs, each level once),
 * and an integrity report escalates to the supervisors only (level 3).
 * @returns `null` when allowed, else the reason: `already` (this or a higher level fired in
 *   this cycle) or `integrity_level_3_only`
 */
export function manualEscalationRefusal(kind: TicketKind, level: EscalationLevel, firedLevels: readonly number[]): 'already' | 'integrity_level_3_only' | null {
  if (kind === 'integrity_report' && level !== 3) return 'integrity_level_3_only';
  if (firedLevels.some((l) => l >= level)) return 'already';
  return null;
}

/** From which cycle a new cycle starts with a level-2 oversight order: the second reopening opens cycle 3 (DESIGN §3). */
export const OVERSIGHT_FROM_CYCLE = 3;
