import { purgeExpiredIdempotencyKeys } from '../commands/idempotency';
import { STAGING_GRACE_MS, sweepOrphanFiles } from '../commands/attachments';
import { purgeTemporaryFiles } from '../uploads/stage';
import type { BlobStore } from '../storage';
import type { Logger } from '../logger';
import { purgeExpiredSessions } from '../commands/sessions';
import { refreshFigures } from '../commands/figures';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { OversightOrder, Ticket } from '../entities';
import { withStatementTimeout } from '../db';

/** Keyset position in the sweep's order (next_check_at, id); values as the driver returned them. */
export interface SweepCursor {
  at: unknown;
  id: string;
}

/**
 * The query that finds tickets the clock must look at (DESIGN §5, §11): `next_check_at ≤
 * now`, in (next_check_at, id) order, one page. It reads the index `idx_ticket_next_check`
 * as a range, so its cost grows with the number of due tickets, not with the table
 * (closed tickets have no next_check_at). `bench:sweep` prints its EXPLAIN.
 */
export function dueTicketsQuery(db: DataSource, now: Date, limit: number, after?: SweepCursor | null): SelectQueryBuilder<Ticket> {
  const qb = db.createQueryBuilder().select('t.id', 'id').addSelect('t.next_check_at', 'at').from(Ticket, 't').where('t.next_check_at <= :now', { now });
  if (after) qb.andWhere('(t.next_check_at > :aAt OR (t.next_check_at = :aAt AND t.id > :aId))', { aAt: after.at, aId: after.id });
  return qb.orderBy('t.next_check_at', 'ASC').addOrderBy('t.id', 'ASC').limit(limit) as SelectQueryBuilder<Ticket>;
}

/** Tickets with an oversight order still watched and due (`watch_at ≤ now`, index `idx_oversight_order_watch`). */
export function watchedOrdersQuery(db: DataSource, now: Date, limit: number): SelectQueryBuilder<OversightOrder> {
  return db.createQueryBuilder().select('DISTINCT o.ticket_id', 'id').from(OversightOrder, 'o').where('o.watch_at <= :now', { now }).limit(limit) as SelectQueryBuilder<OversightOrder>;
}

/** Runs `fn` over `items` with at most `concurrency` at a time. */
export async function inPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (i < items.length) await fn(items[i++]);
  });
  await Promise.all(lanes);
}

/** What a sweep task may use besides the database: the attachment store and this machine's upload folder (absent in some tests). */
export interface SweepEnv {
  storage?: BlobStore;
  uploadTmpDir?: string;
  log?: Logger;
  businessTz?: string;
}
/** Extra work done after every sweep (e.g. purging expired Idempotency-Key rows). */
export type SweepTask = (db: DataSource, now: Date, env: SweepEnv) => Promise<unknown>;

export interface SweepResult {
  /** tickets looked at */
  checked: number;
  /** tickets whose check failed (left due: the next sweep retries them) */
  failed: number;
  ms: number;
}

/**
 * One sweep (DESIGN §5, every SWEEP_INTERVAL_MS): every ticket whose next_check_at has come,
 * and every ticket with a watched oversight order past due, is checked once with `check`
 * (which re-reads the ticket under a lock and acts only on what is due, so a sweep racing a
 * timer or another sweep does nothing twice). The database is the only source: a flushed
 * Redis, a crashed worker or a lost job delays an escalation by at most one interval.
 * A failing ticket is logged by `check` and left due; the keyset keeps the sweep moving.
 * `tasks` run after the tickets, in order (the workers pass `SWEEP_TASKS`).
 * Its statements have no bound, even when a request set one (a test-clock move asks for a
 * sweep): a stalled database delays it, and it goes on when the database answers.
 */
export function sweepOnce(
  db: DataSource,
  now: Date,
  check: (ticketId: string) => Promise<boolean>,
  o: { batch?: number; concurrency?: number; tasks?: readonly SweepTask[]; env?: SweepEnv } = {},
): Promise<SweepResult> {
  return withStatementTimeout(null, () => sweepUnbounded(db, now, check, o));
}

async function sweepUnbounded(
  db: DataSource,
  now: Date,
  check: (ticketId: string) => Promise<boolean>,
  o: { batch?: number; concurrency?: number; tasks?: readonly SweepTask[]; env?: SweepEnv },
): Promise<SweepResult> {
  const started = Date.now();
  const batch = o.batch ?? 500;
  const concurrency = o.concurrency ?? 4;
  const seen = new Set<string>();
  let failed = 0;
  const run = async (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    if (!(await check(id))) failed++;
  };
  let after: SweepCursor | null = null;
  for (;;) {
    const rows: { id: string; at: unknown }[] = await dueTicketsQuery(db, now, batch, after).getRawMany();
    if (!rows.length) break;
    await inPool(
      rows.map((r) => r.id),
      concurrency,
      run,
    );
    const last = rows[rows.length - 1];
    after = { at: last.at, id: last.id };
    if (rows.length < batch) break;
  }
  for (;;) {
    const rows: { id: string }[] = await watchedOrdersQuery(db, now, batch).getRawMany();
    const fresh = rows.map((r) => r.id).filter((id) => !seen.has(id));
    if (!fresh.length) break;
    await inPool(fresh, concurrency, run);
  }
  // Each task runs even when one before it failed (the store down must not stop the key purge);
  // failures are logged when there is a logger, else the first is thrown after the others ran.
  let firstError: unknown;
  for (const [i, task] of (o.tasks ?? []).entries()) {
    try {
      await task(db, now, o.env ?? {});
    } catch (e) {
      if (o.env?.log) o.env.log.warn({ err: e, task: i }, 'sweep task failed; the next sweep retries');
      else firstError ??= e;
    }
  }
  if (firstError) throw firstError;
  return { checked: seen.size, failed, ms: Date.now() - started };
}

/** The housekeeping every worker sweep runs, in this order. */
export const SWEEP_TASKS: readonly SweepTask[] = [
  (db, now) => purgeExpiredIdempotencyKeys(db, now),
  // staged attachments no row refers to (deleted) or whose move did not happen (moved), issue 12
  async (db, now, env) => env.storage && sweepOrphanFiles(db, env.storage, now),
  async (_db, now, env) => env.uploadTmpDir && purgeTemporaryFiles(env.uploadTmpDir, now.getTime(), STAGING_GRACE_MS),
  // page sessions end by wall-clock time (docs/decisions/pages.md), not by the business clock
  (db) => purgeExpiredSessions(db).then(() => undefined),
  // the maintained report figures (issue 15): what the events since the last sweep changed
  async (db, now, env) => env.businessTz && refreshFigures(db, { tz: env.businessTz, now }),
];
