import { Department, Ticket } from '../entities';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { localDate } from '../domain/deadline';
import { AppError, fieldError } from '../errors';
import { CommandContext } from './context';
import type { CreateTicketInput } from './tickets';
import type { EventType } from './ticket-store';

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
  if (a.occurredOn > localDate(ctx.now, ctx.tz)) throw fieldError('accused.occurredOn', 'in_future', 'must not be in the future');
  t.accusedDepartmentCode = dep.code;
  t.accusedPerson = a.person ?? null;
  t.demand = a.demand;
  t.amountYuan = a.amountYuan ?? null;
  t.occurredOn = a.occurredOn;
  return dep.code === DISCIPLINE_DEPARTMENT ? null : DISCIPLINE_DEPARTMENT;
}

export interface ConcludeInput { finding: 'substantiated' | 'unsubstantiated'; summary: string }

/**
 * `conclude` on an integrity report (supervisor): records the finding and answers the
 * reporter; `substantiated` sets the veto on (accused department, year of occurrence).
 * Returns the event to write. (Issue 5.)
 */
export async function concludeIntegrityReport(_ctx: CommandContext, _t: Ticket, _input: ConcludeInput): Promise<{ type: EventType; payload: Record<string, unknown> }> {
  throw new AppError(501, 'not-implemented', 'concluding integrity reports is not implemented yet');
}
