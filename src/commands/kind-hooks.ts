import type { Ticket } from '../entities';
import type { TicketKind } from '../domain/lifecycle';
import type { CommandContext } from './context';
import type { CreateTicketInput } from './tickets';

/**
 * Kind-specific preparation on create (objections, integrity reports): validates the
 * kind's fields, fills them on the ticket and returns the department to route to (or null).
 */
export interface KindHook {
  prepare(ctx: CommandContext, t: Ticket, input: CreateTicketInput): Promise<string | null>;
}
export const kindHooks: Partial<Record<TicketKind, KindHook>> = {};
