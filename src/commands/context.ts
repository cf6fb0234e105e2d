import { EntityManager } from 'typeorm';
import { WorkCalendar } from '../domain/calendar';
import type { Actor } from '../domain/lifecycle';

/**
 * What every command gets: the transaction's own entity manager, the acting user, the
 * instant it happens (from the service clock, never read inside), the working calendar.
 */
export interface CommandContext {
  em: EntityManager;
  actor: Actor;
  now: Date;
  cal: WorkCalendar;
  tz: string;
  ticketPrefix: string;
  /** key for hashing access codes (HMAC) */
  secret: string;
}

export const actorId = (a: Actor): string | null => (a.kind === 'user' ? a.userId : null);
export const actorRole = (a: Actor): string => (a.kind === 'user' ? a.role : a.kind);
