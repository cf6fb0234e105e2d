import { Ticket } from '../entities';
import { AppError } from '../errors';
import { CommandContext } from './context';
import type { EventType } from './ticket-store';

export interface EscalateInput { level: 2 | 3; note: string }

/**
 * Manual escalation (督办, DESIGN §5) by the coordinator or a supervisor: level 2 opens an
 * oversight order; each (ticket, cycle, level) happens once. (Issue 3.)
 */
export async function escalateManually(_ctx: CommandContext, _t: Ticket, _input: EscalateInput): Promise<{ type: EventType; payload: Record<string, unknown> }> {
  throw new AppError(501, 'not-implemented', 'manual escalation is not implemented yet');
}
