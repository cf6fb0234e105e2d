import type { DataSource } from 'typeorm';
import type { Config } from '../config';
import type { Clock } from '../clock';
import type { Logger } from '../logger';
import type { CalendarCache } from '../commands/calendar';
import type { TokenService } from './auth';
import type { CommandContext } from '../commands/context';
import type { Context } from 'koa';
import type { Actor } from '../domain/lifecycle';
import type { EntityManager } from 'typeorm';
import { inTransaction } from '../db';

/** What the HTTP layer needs; built once in `main.ts` (or by tests). */
export interface AppDeps {
  config: Config;
  db: DataSource;
  clock: Clock;
  log: Logger;
  calendar: CalendarCache;
  tokens: TokenService;
  /** called after a commit that changed tickets' deadlines (re-arms timers); set by the job runner */
  onTicketsChanged?: (ticketIds: string[]) => void;
  /** readiness of the queue backend (Redis), if any */
  queueReady?: () => Promise<boolean>;
}

/** Runs a command in one transaction with a fresh context (actor from the request, now from the clock). */
export async function runCommand<T>(deps: AppDeps, ctx: Context, fn: (c: CommandContext) => Promise<T>, actor?: Actor): Promise<T> {
  const now = deps.clock.now();
  const cal = await deps.calendar.get(deps.db.manager);
  return inTransaction(deps.db, (em: EntityManager) => fn({
    em, actor: actor ?? (ctx.state.actor as Actor), now, cal, tz: deps.config.businessTz, ticketPrefix: deps.config.ticketPrefix, secret: deps.config.jwtSecret,
  }));
}
