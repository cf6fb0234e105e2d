import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Escalation, OversightOrder, Ticket } from '../entities';
import { Actor } from '../domain/lifecycle';
import { EscalationLevel, EscalationReason, EscalationTarget, OVERSIGHT_FROM_CYCLE, effectiveLevel, escalationTarget, manualEscalationRefusal, outsideDistrict } from '../domain/escalation';
import { WorkCalendar } from '../domain/calendar';
import { conflict, fieldError } from '../errors';
import { isDuplicateKey } from '../db';
import { CommandContext, actorId, actorRole } from './context';
import { addMessage } from './ticket-store';
import { appendEvent, type EventType } from './events';
import { openOversightOrder } from './oversight';

export interface EscalateInput {
  level: 2 | 3;
  note: string;
}

/** Levels already fired in the ticket's current cycle. */
export async function firedLevels(em: EntityManager, t: Pick<Ticket, 'id' | 'cycle'>): Promise<number[]> {
  const rows = await em.find(Escalation, { where: { ticketId: t.id, cycle: t.cycle }, select: { level: true } as never });
  return rows.map((r) => r.level);
}

export interface RecordedEscalation {
  escalation: Escalation;
  /** the oversight order it opened (levels 2 and 3 of complaints, suggestions and objections) */
  order: OversightOrder | null;
}

/**
 * Records one escalation of (ticket, current cycle, level) in the caller's transaction: the
 * row insert is the conditional write that decides the winner (unique key per ticket, cycle
 * and level, DESIGN §5); a level-2 or level-3 escalation of a complaint, suggestion or
 * objection opens an oversight order. Raises `t.escalationLevel` in memory (the caller
 * saves the ticket). The caller writes the `escalated` event only when this returns a row.
 * @returns the new row, or `null` when that level already happened in this cycle
 */
export async function recordEscalation(
  em: EntityManager,
  t: Ticket,
  e: { level: EscalationLevel; reason: EscalationReason; target: EscalationTarget; triggeredAt: Date | null; actor: Actor; now: Date; note: string | null; cal: WorkCalendar; tz: string },
): Promise<RecordedEscalation | null> {
  const opensOrder = e.level >= 2 && t.kind !== 'integrity_report';
  const orderId = opensOrder ? randomUUID() : null;
  const row = Object.assign(new Escalation(), {
    id: randomUUID(),
    ticketId: t.id,
    cycle: t.cycle,
    level: e.level,
    reason: e.reason,
    target: e.target,
    departmentCode: t.departmentCode,
    triggeredAt: e.triggeredAt,
    escalatedAt: e.now,
    actorId: actorId(e.actor),
    actorRole: actorRole(e.actor),
    orderId,
  } satisfies Escalation);
  try {
    await em.insert(Escalation, row as never);
  } catch (err) {
    if (isDuplicateKey(err)) return null;
    throw err;
  }
  const order = orderId ? await openOversightOrder(em, t, { id: orderId, level: e.level as 2 | 3, escalationId: row.id, reason: e.reason, note: e.note, now: e.now, cal: e.cal, tz: e.tz }) : null;
  t.escalationLevel = Math.max(t.escalationLevel, e.level);
  return { escalation: row, order };
}

/**
 * Escalates a ticket by the clock or a rule (actor `system`), writing the one `escalated`
 * event with payload `{ level, reason }` (DESIGN §3, §5) if this call won.
 * @returns what was recorded, or `null` when that level already happened in this cycle
 */
export async function escalateBySystem(
  ctx: Pick<CommandContext, 'em' | 'now' | 'cal' | 'tz'>,
  t: Ticket,
  e: { level: EscalationLevel; reason: EscalationReason; target: EscalationTarget; triggeredAt: Date | null },
): Promise<RecordedEscalation | null> {
  const actor: Actor = { kind: 'system' };
  const won = await recordEscalation(ctx.em, t, { ...e, actor, now: ctx.now, note: null, cal: ctx.cal, tz: ctx.tz });
  if (!won) return null;
  await appendEvent(ctx.em, t, { type: 'escalated', actor, at: ctx.now, fromState: t.state, toState: t.state, payload: { level: e.level, reason: e.reason } });
  return won;
}

/**
 * Manual escalation (督办, DESIGN §5) by the coordinator or a supervisor (`escalate`
 * action; the lifecycle has already authorized it): level 2 opens a yellow-card oversight
 * order to the department, level 3 raises a red card to the discipline supervisors (with a
 * red-card order). The note is kept as an internal message and on the order. Called by
 * `performAction`, which writes the returned event and saves the ticket.
 * @returns the event to write: `escalated` with payload `{ level, reason: 'manual' }`
 * @throws 409 `already-escalated` (with `escalationLevel`) when this or a higher level
 *   already happened in the cycle; 422 `validation-failed` on `level` when an integrity
 *   report is escalated below level 3 (it goes straight to the supervisors)
 */
export async function escalateManually(ctx: CommandContext, t: Ticket, input: EscalateInput): Promise<{ type: EventType; payload: Record<string, unknown> }> {
  const fired = await firedLevels(ctx.em, t);
  const refusal = manualEscalationRefusal(t.kind, input.level, fired);
  if (refusal === 'integrity_level_3_only') throw fieldError('level', 'integrity_level_3', 'integrity reports escalate straight to the supervisors: level 3');
  if (refusal === 'already') {
    throw conflict('already-escalated', `level ${Math.max(...fired)} already happened in cycle ${t.cycle}; each level happens once per cycle`, { escalationLevel: Math.max(...fired), cycle: t.cycle });
  }
  const won = await recordEscalation(ctx.em, t, {
    level: input.level,
    reason: 'manual',
    target: escalationTarget(t, input.level),
    triggeredAt: null,
    actor: ctx.actor,
    now: ctx.now,
    note: input.note,
    cal: ctx.cal,
    tz: ctx.tz,
  });
  if (!won) throw conflict('already-escalated', `level ${input.level} already happened in cycle ${t.cycle}`, { escalationLevel: t.escalationLevel, cycle: t.cycle });
  await addMessage(ctx, t, 'escalation_note', input.note, true);
  return { type: 'escalated', payload: { level: input.level, reason: 'manual' } };
}

/**
 * Called by `performAction` after a new cycle began (bad rating or reopening) and its events
 * were written: from the second reopening on (cycle ≥ 3) the new cycle starts with a
 * level-2 oversight order (DESIGN §3, §5; level 3 for an integrity report). The ticket row
 * was already saved in this transaction, so only its escalation level is updated here.
 */
export async function escalateNewCycle(ctx: CommandContext, t: Ticket): Promise<void> {
  if (t.cycle < OVERSIGHT_FROM_CYCLE || outsideDistrict(t)) return;
  const level = effectiveLevel(t.kind, 2);
  const won = await escalateBySystem(ctx, t, { level, reason: 'second_reopening', target: escalationTarget(t, level), triggeredAt: null });
  if (won) await ctx.em.update(Ticket, { id: t.id }, { escalationLevel: t.escalationLevel });
}
