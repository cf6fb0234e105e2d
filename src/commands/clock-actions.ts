import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { DeadlineNotice, Escalation, OversightOrder, Ticket, TicketPause } from '../entities';
import { Actor, decideSystem } from '../domain/lifecycle';
import { addWorkingDays } from '../domain/deadline';
import { INFO_WAIT_WORKING_DAYS } from '../domain/schedule';
import { WorkCalendar } from '../domain/calendar';
import { ClockPlan, ClockStep, ClockTimer, LadderOrder, OwedDeadline, planClock } from '../domain/escalation';
import { inTransaction, isDuplicateKey, isMysql } from '../db';
import { notify } from '../notifications/notify';
import { CommandContext } from './context';
import { appendEvent } from './events';
import { recomputeDeadlines } from './deadlines';
import { saveTicket } from './ticket-store';
import { escalateBySystem } from './escalation';
import { closeOrdersOfEndedTicket } from './oversight';

type ClockCtx = Pick<CommandContext, 'em' | 'now' | 'cal' | 'tz'>;
const SYSTEM: Actor = { kind: 'system' };

/**
 * `info-timeout` (DESIGN §3): no supplement within 5 working days of the information
 * request. The clock resumes at the end of the wait (`dueAt`, not whenever a worker got
 * there, so the new reply deadline does not depend on the sweep's timing): the open pause
 * row is closed at `dueAt`, the ticket returns to `in_progress`, deadlines are recomputed,
 * and a `supplemented` event by `system` with payload `{ timeout: true, waitedUntil }` is
 * written (the handler answers with what it has).
 */
export async function applyInfoTimeout(ctx: ClockCtx, t: Ticket, dueAt: Date): Promise<void> {
  const to = decideSystem(t, 'info-timeout');
  if (!to) return;
  const from = t.state;
  await ctx.em.update(TicketPause, { ticketId: t.id, cycle: t.cycle, resumedAt: IsNull() }, { resumedAt: dueAt });
  t.pausedAt = null;
  t.state = to;
  await recomputeDeadlines(ctx, t);
  await appendEvent(ctx.em, t, { type: 'supplemented', actor: SYSTEM, at: ctx.now, fromState: from, toState: to, payload: { timeout: true, waitedUntil: dueAt.toISOString() } });
}

/**
 * `rating-timeout` (DESIGN §3): a reply not rated within 3 working days closes with rating
 * `none`; a `closed` event by `system` with payload `{ rating: 'none', reason: 'rating_window_expired' }`,
 * then its open oversight orders closed (`closeOrdersOfEndedTicket`, reason `closed`).
 */
export async function applyRatingTimeout(ctx: ClockCtx, t: Ticket, dueAt: Date): Promise<void> {
  const to = decideSystem(t, 'rating-timeout');
  if (!to) return;
  const from = t.state;
  t.state = to;
  t.rating = 'none';
  t.closedAt = ctx.now;
  await recomputeDeadlines(ctx, t);
  await appendEvent(ctx.em, t, { type: 'closed', actor: SYSTEM, at: ctx.now, fromState: from, toState: to, payload: { rating: 'none', reason: 'rating_window_expired', rateBy: dueAt.toISOString() } });
  // the ticket is done with: its open oversight orders close with it (as on a rating or the coordinator's close)
  await closeOrdersOfEndedTicket({ ...ctx, actor: SYSTEM }, t);
}

/** What one check of a ticket did and what it left for later. */
export interface ClockCheck {
  ticketId: string;
  cycle: number;
  /** the steps applied, in order (only those this process won) */
  applied: ClockStep[];
  /** future triggers to arm timers for */
  timers: ClockTimer[];
  nextCheckAt: Date | null;
}

/** What the clock knows of a ticket besides the ticket row; loaded once per check, then kept up to date in memory. */
interface ClockState {
  fired: number[];
  orders: LadderOrder[];
  notices: { deadline: OwedDeadline; dueAt: Date }[];
}

async function loadClockState(em: EntityManager, t: Ticket): Promise<ClockState> {
  const fired = await em.find(Escalation, { where: { ticketId: t.id, cycle: t.cycle }, select: { level: true } as never });
  const orders = await em.find(OversightOrder, { where: { ticketId: t.id, state: 'open' } });
  const notices = await em.find(DeadlineNotice, { where: { ticketId: t.id, cycle: t.cycle } });
  return {
    fired: fired.map((e) => e.level),
    orders: orders.map((o): LadderOrder => ({ id: o.id, cycle: o.cycle, level: o.level, state: 'open', respondBy: o.respondBy, lateAt: o.lateAt })),
    notices: notices.map((n) => ({ deadline: n.deadline as OwedDeadline, dueAt: n.dueAt })),
  };
}

function plan(t: Ticket, st: ClockState, cal: WorkCalendar, tz: string, now: Date): ClockPlan {
  const infoWaitBy = t.state === 'awaiting_info' && t.pausedAt ? addWorkingDays(t.pausedAt, INFO_WAIT_WORKING_DAYS, cal, tz).dueAt : null;
  return planClock({
    ticket: t,
    deadlines: { dispatchBy: t.dispatchBy, signBy: t.signBy, replyBy: t.replyBy, redBy: t.redBy, rateBy: t.rateBy, infoWaitBy, dueSoonAt: t.dueSoonAt },
    firedLevels: st.fired,
    orders: st.orders,
    dueSoonSent: st.notices,
    now,
  });
}

/**
 * The clock's plan for a ticket its creating transaction just committed (issue 15): such a
 * ticket has no escalations, oversight orders or due-soon notices yet, so nothing needs to be
 * read. `timers` to arm when nothing is due now and `nextCheckAt` is what the create stored;
 * else null, and the ticket needs a full check (a receipt dated back far enough to be late).
 */
export function newTicketTimers(t: Ticket, o: { now: Date; cal: WorkCalendar; tz: string }): ClockTimer[] | null {
  const p = plan(t, { fired: [], orders: [], notices: [] }, o.cal, o.tz, o.now);
  if (p.steps.length || (p.nextCheckAt?.getTime() ?? null) !== (t.nextCheckAt?.getTime() ?? null)) return null;
  return p.timers;
}

/**
 * Looks at one ticket for the clock (timer, sweep, or after a change) and does what is due,
 * in one transaction (DESIGN §3–§5): due-soon notices, escalations lowest level first,
 * late oversight orders, the system transitions; then stores `next_check_at` = the next
 * trigger, so the sweep skips the ticket until then.
 *
 * Exactly once across processes: the ticket row is locked (`SELECT … FOR UPDATE` on
 * MariaDB) and everything is re-read under the lock; every escalation is also a row with a
 * unique key per (ticket, cycle, level), every due-soon notice one per (ticket, cycle,
 * deadline, instant), and marking an order late is a conditional update — only the winner
 * writes the event or the notice. A ticket that changed gets `version + 1` (a concurrent
 * user action then fails with 409 instead of interleaving); one whose only change is
 * `next_check_at` keeps its version. With `skipLocked`, a ticket whose row another
 * transaction holds is skipped (the sweep and queued jobs: the holder does the work, or the
 * next sweep finds it still due); without it the check waits for the lock.
 * @returns what happened, or `null` for an unknown (or skipped) ticket
 */
export async function checkTicketClock(ds: DataSource, ticketId: string, o: { now: Date; cal: WorkCalendar; tz: string; skipLocked?: boolean; readFirst?: boolean }): Promise<ClockCheck | null> {
  if (o.readFirst) {
    // After a change (issue 15): most tickets have nothing due, and the check only re-arms their
    // timers. Plain reads decide that without a transaction or a lock; anything due (or a
    // next_check_at to store) is done below under the lock, from a fresh read. A read that
    // raced a concurrent change is harmless: that change asks for its own check after its commit.
    const em = ds.manager;
    const t = await em.getRepository(Ticket).findOne({ where: { id: ticketId } });
    if (!t) return null;
    const p = plan(t, await loadClockState(em, t), o.cal, o.tz, o.now);
    if (!p.steps.length && (p.nextCheckAt?.getTime() ?? null) === (t.nextCheckAt?.getTime() ?? null)) {
      return { ticketId: t.id, cycle: t.cycle, applied: [], timers: p.timers, nextCheckAt: p.nextCheckAt };
    }
  }
  return inTransaction(ds, async (em) => {
    // The locking read comes first, so that the transaction's snapshot is taken under the lock.
    // SKIP LOCKED (MariaDB ≥ 10.6, MySQL 8): a ticket another worker holds is that worker's to do.
    const lock = { mode: 'pessimistic_write' as const, ...(o.skipLocked ? { onLocked: 'skip_locked' as const } : {}) };
    const t = await em.getRepository(Ticket).findOne({ where: { id: ticketId }, ...(isMysql(em) ? { lock } : {}) });
    if (!t) return null;
    const ctx: ClockCtx = { em, now: o.now, cal: o.cal, tz: o.tz };
    const readVersion = t.version;
    const storedNext = t.nextCheckAt?.getTime() ?? null;
    const applied: ClockStep[] = [];
    let changed = false;
    const st = await loadClockState(em, t);
    let p: ClockPlan = plan(t, st, o.cal, o.tz, o.now);
    // A system transition changes the state and thereby the triggers: plan again after it.
    for (let round = 0; p.steps.length && round < 4; round++) {
      for (const step of p.steps) {
        if (await applyStep(ctx, t, st, step)) {
          applied.push(step);
          if (step.step !== 'due_soon' && step.step !== 'order_late') changed = true;
        }
      }
      p = plan(t, st, o.cal, o.tz, o.now);
    }
    t.nextCheckAt = p.nextCheckAt;
    if (changed) {
      await saveTicket(em, t, readVersion, o.now);
    } else if ((t.nextCheckAt?.getTime() ?? null) !== storedNext) {
      await em.createQueryBuilder().update(Ticket).set({ nextCheckAt: t.nextCheckAt }).where('id = :id', { id: t.id }).execute();
    }
    return { ticketId: t.id, cycle: t.cycle, applied, timers: p.timers, nextCheckAt: p.nextCheckAt };
  });
}

/**
 * Applies one planned step and records it in `st`; false when it had already been done
 * (the unique keys and conditional updates decide, whatever the lock said).
 */
async function applyStep(ctx: ClockCtx, t: Ticket, st: ClockState, step: ClockStep): Promise<boolean> {
  const { em, now } = ctx;
  switch (step.step) {
    case 'due_soon': {
      st.notices.push({ deadline: step.deadline, dueAt: step.dueAt });
      try {
        await em.insert(DeadlineNotice, { id: randomUUID(), ticketId: t.id, cycle: t.cycle, deadline: step.deadline, dueAt: step.dueAt, sentAt: now });
      } catch (e) {
        if (isDuplicateKey(e)) return false;
        throw e;
      }
      await notify(em, { kind: 'due_soon', ticketId: t.id, deadline: step.deadline, dueAt: step.dueAt }, now);
      return true;
    }
    case 'escalate': {
      st.fired.push(step.level);
      const won = await escalateBySystem(ctx, t, { level: step.level, reason: step.reason, target: step.target, triggeredAt: step.triggeredAt });
      if (won?.order) st.orders.push({ id: won.order.id, cycle: won.order.cycle, level: won.order.level, state: 'open', respondBy: won.order.respondBy, lateAt: null });
      return !!won;
    }
    case 'order_late': {
      const o = st.orders.find((x) => x.id === step.orderId);
      if (o) o.lateAt = now;
      const res = await em.createQueryBuilder().update(OversightOrder).set({ lateAt: now, watchAt: null }).where("id = :id AND state = 'open' AND late_at IS NULL", { id: step.orderId }).execute();
      if (!res.affected) return false;
      await notify(em, { kind: 'oversight_late', orderId: step.orderId }, now);
      return true;
    }
    case 'system': {
      const cycle = t.cycle;
      if (step.action === 'info-timeout') await applyInfoTimeout(ctx, t, step.dueAt);
      else await applyRatingTimeout(ctx, t, step.dueAt);
      // a new cycle, or a close that took the open orders with it: what the clock knows is read again
      if (t.cycle !== cycle || t.state === 'closed') Object.assign(st, await loadClockState(em, t));
      return true;
    }
  }
}
