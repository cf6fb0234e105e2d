import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from './config';
import type { Clock } from './clock';
import type { Logger } from './logger';
import type { CalendarCache } from './commands/calendar';
import type { TokenService } from './tokens';
import type { CommandContext } from './commands/context';
import type { Actor } from './domain/lifecycle';
import type { BlobStore } from './storage';
import type { Uploads } from './uploads/stage';
import { inTransaction } from './db';

/**
 * The wiring of one process: what the HTTP layer, the pages, the workers and the CLI
 * share. Built once by `boot()` (or by tests); every layer may import this type.
 */
export interface AppDeps {
  config: Config;
  db: DataSource;
  clock: Clock;
  log: Logger;
  calendar: CalendarCache;
  tokens: TokenService;
  /** where attachment bytes live (DESIGN §14 `STORAGE_URL`) */
  storage: BlobStore;
  /** receiving files: the store, this machine's temporary folder, the limits */
  uploads: Uploads;
  /** called after a commit that changed tickets' deadlines (re-arms timers); set by the job runner */
  onTicketsChanged?: (ticketIds: string[]) => void;
  /** called after the commit that created a ticket: arms its timers (or asks for a check); set by the job runner. Absent: `onTicketsChanged` */
  onTicketCreated?: (ticket: import('./entities').Ticket) => void;
  /** who wrote recently, for read-your-writes on replicas (src/replicas.ts); set by boot() when there are replicas */
  recentWrites?: import('./replicas').RecentWrites;
  /** set while the process drains for shutdown: readiness answers 503 so that the load balancer sends no new requests */
  draining?: boolean;
  /** readiness of the queue backend (Redis), if any */
  queueReady?: () => Promise<boolean>;
}

/**
 * Runs a command as `actor` in one transaction with a fresh context: `now` from the
 * service clock (read once, here), the working calendar, the configured time zone.
 */
export async function runAs<T>(deps: AppDeps, actor: Actor, fn: (c: CommandContext) => Promise<T>): Promise<T> {
  const now = deps.clock.now();
  const cal = await deps.calendar.get(deps.db.manager);
  return inTransaction(deps.db, (em: EntityManager) =>
    fn({
      em,
      actor,
      now,
      cal,
      tz: deps.config.businessTz,
      ticketPrefix: deps.config.ticketPrefix,
      secret: deps.config.jwtSecret,
    }),
  );
}
