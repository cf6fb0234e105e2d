import type { EntityManager } from 'typeorm';
import type { TicketEvent } from '../entities';

/**
 * What may notify people (DESIGN §10). Ticket events arrive from `appendEvent`; deadline
 * reminders and oversight orders come from the clock.
 */
export type Notice =
  | { kind: 'ticket_event'; event: TicketEvent }
  | { kind: 'due_soon'; ticketId: string; deadline: 'dispatch' | 'sign' | 'reply'; dueAt: Date }
  | { kind: 'oversight_opened'; orderId: string }
  | { kind: 'oversight_late'; orderId: string };

/**
 * Writes the outbox rows for a notice in the caller's transaction (so the change and its
 * mail commit together). Delivery happens later, from the outbox.
 */
export async function notify(_em: EntityManager, _notice: Notice, _now: Date): Promise<void> {
  // Filled in by the notifications work (issue 4).
}
