import { Ticket } from '../entities';
import { AppError, fieldError } from '../errors';
import { CommandContext } from './context';
import type { CreateTicketInput } from './tickets';
import type { EventType } from './ticket-store';

/**
 * Objections on create (DESIGN §6): real-name, names a result notice and an entry (or the
 * credit code of an excluded applicant), inside the objection window. Returns the notice's
 * handling department. (Issue 5.)
 */
export async function prepareObjection(_ctx: CommandContext, _t: Ticket, input: CreateTicketInput): Promise<string | null> {
  if (!input.resultNoticeId) throw fieldError('resultNoticeId', 'required', 'an objection names the result notice');
  throw new AppError(501, 'not-implemented', 'objections are not implemented yet');
}

export interface DecideInput { outcome: 'upheld' | 'dismissed'; reason: string }

/** `decide` on an objection by the handling department: upheld revokes the entry. (Issue 5.) */
export async function decideObjection(_ctx: CommandContext, _t: Ticket, _input: DecideInput): Promise<{ type: EventType; payload: Record<string, unknown> }> {
  throw new AppError(501, 'not-implemented', 'deciding objections is not implemented yet');
}
