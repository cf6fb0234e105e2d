import Decimal from 'decimal.js';
import { Department, Ticket } from '../entities';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { localDate } from '../domain/deadline';
import { fieldError } from '../errors';
import { CommandContext } from './context';
import type { CreateTicketInput } from './create-ticket';
import { addMessage } from './ticket-store';
import type { EventType } from './events';
import { addVetoCause, withdrawVetoCause } from './vetoes';

/**
 * Integrity reports on create (DESIGN §7): names the accused department; always routed to
 * DIS; a report accusing DIS itself is held (no district department) for the higher commission.
 * Returns the department to route to, or null. Throws 422 naming the `accused.*` field.
 */
export async function prepareIntegrityReport(ctx: CommandContext, t: Ticket, input: CreateTicketInput): Promise<string | null> {
  const a = input.accused;
  if (!a) throw fieldError('accused', 'required', 'an integrity report names the accused department');
  const dep = await ctx.em.findOneBy(Department, { code: a.departmentCode });
  if (!dep) throw fieldError('accused.departmentCode', 'unknown', `unknown department ${a.departmentCode}`);
  for (const f of ['resultNoticeId', 'resultEntryId', 'subjectCreditCode'] as const) {
    if (input[f]) throw fieldError(f, 'not_applicable', 'only objections name a result notice');
  }
  if (a.occurredOn > localDate(ctx.now, ctx.tz)) throw fieldError('accused.occurredOn', 'in_future', 'must not be in the future');
  t.accusedDepartmentCode = dep.code;
  t.accusedPerson = a.person ?? null;
  t.demand = a.demand;
  // Exact decimal, normalized to two places as the DECIMAL(14,2) column reads back ("0.1" → "0.10").
  t.amountYuan = a.amountYuan === undefined ? null : new Decimal(a.amountYuan).toFixed(2);
  t.occurredOn = a.occurredOn;
  return dep.code === DISCIPLINE_DEPARTMENT ? null : DISCIPLINE_DEPARTMENT;
}

export interface ConcludeInput {
  finding: 'substantiated' | 'unsubstantiated';
  summary: string;
}

/**
 * `conclude` on an integrity report (DESIGN §7), by a discipline supervisor (the lifecycle
 * checks who and when). Records the finding on the ticket and the summary as a
 * `conclusion` message, which is the answer the reporter sees (tracking view).
 *
 * `substantiated` sets the veto on (accused department, year of the occurrence): it creates
 * the veto or adds this case to it, exactly once per department and year
 * (`commands/vetoes.ts`). A report concluded again after a bad rating reopened it follows
 * its latest finding: `unsubstantiated` withdraws the case from the veto.
 *
 * Returns the `concluded` event; its payload has the finding, the message id and the veto
 * (id, year, change) — no personal data.
 */
export async function concludeIntegrityReport(ctx: CommandContext, t: Ticket, input: ConcludeInput): Promise<{ type: EventType; payload: Record<string, unknown> }> {
  t.finding = input.finding;
  const messageId = await addMessage(ctx, t, 'conclusion', input.summary);
  const payload: Record<string, unknown> = { finding: input.finding, messageId };
  if (input.finding === 'substantiated') {
    const v = await addVetoCause(ctx, t);
    Object.assign(payload, { vetoId: v.vetoId, vetoYear: v.year, vetoChange: v.change });
  } else {
    const vetoId = await withdrawVetoCause(ctx, t);
    if (vetoId) Object.assign(payload, { vetoId, vetoChange: 'cause_withdrawn' });
  }
  return { type: 'concluded', payload };
}
