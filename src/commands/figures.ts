/**
 * The maintained report figures (issue 15 item 2; docs/decisions/reporting.md "Maintained
 * figures"). Every event marks its ticket in `figure_dirty` in the event's own transaction
 * (one row per ticket: no hot row on the create path); `refreshFigures` recomputes the
 * marked tickets' contributions (src/domain/figures.ts) and adds the difference to the
 * `report_figure` buckets, clearing the marks in the same transaction. The workers refresh
 * on every sweep, and a report catches up whatever is still marked before it reads, so a
 * report is exact as of its request, and its cost follows departments × days, not tickets.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { FigureDirty, ReportFigure, Ticket, TicketEvent, TicketFigure, TicketPause } from '../entities';
import { inTransaction, isMysql } from '../db';
import { startOfLocalDay } from '../domain/deadline';
import { Bucket, bucketDeltas, FIGURE_COUNTS, FigureCounts, LiveCounts, mergeDeltas, ticketBuckets, zeroCounts } from '../domain/figures';
import { METRIC_EVENT_TYPES, MetricEvent, MetricPause, MetricTicket } from '../domain/metrics';
import { loadCalendar } from './calendar';
import { snake } from '../entities/naming';

const COLUMNS = FIGURE_COUNTS.map(snake);

/**
 * Marks tickets for recomputation, in the caller's transaction (duplicates are no-ops).
 * Called by `appendEvents` for every event, so nothing that changes a ticket is missed.
 */
export async function markFiguresDirty(em: EntityManager, ticketIds: readonly string[]): Promise<void> {
  if (ticketIds.length === 0) return;
  const values = ticketIds.map(() => '(?)').join(',');
  const sql = isMysql(em)
    ? `INSERT INTO figure_dirty (ticket_id) VALUES ${values} ON DUPLICATE KEY UPDATE ticket_id = ticket_id`
    : `INSERT INTO figure_dirty (ticket_id) VALUES ${values} ON CONFLICT (ticket_id) DO NOTHING`;
  await em.query(sql, [...ticketIds]);
}

/**
 * After a calendar change (DESIGN §4: a day's type changed from `date` on): every ticket
 * answered at or after the start of that local day is marked, since its working days to
 * the answer may have changed. Rare (the admin's calendar page), so a scan is acceptable.
 */
export async function markAnsweredSince(em: EntityManager, date: string, tz: string): Promise<void> {
  const since = startOfLocalDay(date, tz);
  const ids: { id: string }[] = await em
    .createQueryBuilder()
    .select('DISTINCT e.ticket_id', 'id')
    .from(TicketEvent, 'e')
    .where('e.type IN (:...types)', { types: ['replied', 'decided', 'concluded'] })
    .andWhere('e.at >= :since', { since })
    .getRawMany();
  for (let i = 0; i < ids.length; i += 500)
    await markFiguresDirty(
      em,
      ids.slice(i, i + 500).map((r) => r.id),
    );
}

/**
 * Marks every ticket (a rebuild that is safe while the service runs: each ticket's stored
 * contribution is replaced by its recomputed one, so figures that drifted are corrected).
 * Used after a bulk load (`bench:scale`) and by `cli figures-rebuild`.
 */
export async function markAllFiguresDirty(em: EntityManager): Promise<void> {
  await em.query(
    isMysql(em)
      ? 'INSERT INTO figure_dirty (ticket_id) SELECT id FROM ticket ON DUPLICATE KEY UPDATE ticket_id = figure_dirty.ticket_id'
      : 'INSERT INTO figure_dirty (ticket_id) SELECT id FROM ticket WHERE true ON CONFLICT (ticket_id) DO NOTHING',
  );
}

/** What one refresh did. */
export interface RefreshResult {
  tickets: number;
  batches: number;
  remaining: boolean;
}

/**
 * Recomputes marked tickets, `batch` at a time, each batch one transaction: locks its marks
 * (on MariaDB `FOR UPDATE SKIP LOCKED`, so two refreshers share the work and a mark held by a
 * command still running is left for the next round), reads the tickets, their metric events
 * and pauses and their stored contributions, adds the differences to the buckets (one upsert
 * per bucket, in key order), stores the new contributions and deletes the marks.
 * @param o.tz business time zone (days of receipt, working days)
 * @param o.batch tickets per transaction (default 500)
 * @param o.maxBatches stop after this many batches (default: until nothing is marked)
 * @returns tickets refreshed, batches run, and whether marks remain
 */
export async function refreshFigures(ds: DataSource, o: { tz: string; batch?: number; maxBatches?: number; now?: Date }): Promise<RefreshResult> {
  const batch = o.batch ?? 500;
  let tickets = 0;
  let batches = 0;
  for (;;) {
    if (o.maxBatches !== undefined && batches >= o.maxBatches) return { tickets, batches, remaining: true };
    const n = await inTransaction(ds, (em) => refreshBatch(em, batch, o.tz, o.now ?? new Date()));
    if (n === 0) return { tickets, batches, remaining: false };
    tickets += n;
    batches++;
    if (n < batch) return { tickets, batches, remaining: false };
    // between batches, let requests in (better-sqlite3 is synchronous: a long refresh would hold the event loop)
    await new Promise((r) => setImmediate(r));
  }
}

async function refreshBatch(em: EntityManager, batch: number, tz: string, now: Date): Promise<number> {
  const mysql = isMysql(em);
  const marked: { ticket_id: string }[] = await em.query(`SELECT ticket_id FROM figure_dirty ORDER BY ticket_id LIMIT ${Number(batch)}${mysql ? ' FOR UPDATE SKIP LOCKED' : ''}`);
  const ids = marked.map((r) => r.ticket_id);
  if (ids.length === 0) return 0;
  // the calendar read in this transaction, after the marks: a calendar change that marked them is seen
  const cal = await loadCalendar(em);
  const [tickets, events, pauses, stored] = await Promise.all([
    em
      .createQueryBuilder(Ticket, 't')
      .select(['t.id', 't.kind', 't.state', 't.departmentCode', 't.accusedDepartmentCode', 't.receivedAt', 't.cycle', 't.cycleStartedAt', 't.signBy', 't.replyBy'])
      .where('t.id IN (:...ids)', { ids })
      .getMany(),
    em
      .createQueryBuilder(TicketEvent, 'e')
      .select(['e.id', 'e.ticketId', 'e.seq', 'e.cycle', 'e.type', 'e.at', 'e.payload'])
      .where('e.ticket_id IN (:...ids)', { ids })
      .andWhere('e.type IN (:...types)', { types: [...METRIC_EVENT_TYPES] })
      .getMany(),
    em.createQueryBuilder(TicketPause, 'p').select(['p.id', 'p.ticketId', 'p.cycle', 'p.pausedAt', 'p.resumedAt']).where('p.ticket_id IN (:...ids)', { ids }).getMany(),
    em.createQueryBuilder(TicketFigure, 'f').where('f.ticket_id IN (:...ids)', { ids }).getMany(),
  ]);
  const group = <T extends { ticketId: string }>(rows: T[]) => {
    const m = new Map<string, T[]>();
    for (const r of rows) {
      const l = m.get(r.ticketId);
      if (l) l.push(r);
      else m.set(r.ticketId, [r]);
    }
    return m;
  };
  const eventsOf = group(events as unknown as MetricEvent[]);
  const pausesOf = group(pauses as unknown as MetricPause[]);
  const before = new Map(stored.map((f) => [f.ticketId, f.buckets as Bucket[]]));
  const byId = new Map(tickets.map((t) => [t.id, t as unknown as MetricTicket]));
  const deltas: Bucket[][] = [];
  const after: { ticketId: string; buckets: Bucket[] }[] = [];
  for (const id of ids) {
    const t = byId.get(id);
    const now_ = t ? ticketBuckets(t, eventsOf.get(id) ?? [], pausesOf.get(id) ?? [], cal, tz) : [];
    deltas.push(bucketDeltas(before.get(id) ?? [], now_));
    if (now_.length) after.push({ ticketId: id, buckets: now_ });
  }
  await addToBuckets(em, mergeDeltas(deltas));
  await em.createQueryBuilder().delete().from(TicketFigure).where('ticket_id IN (:...ids)', { ids }).execute();
  for (let i = 0; i < after.length; i += 200) {
    await em.insert(TicketFigure, after.slice(i, i + 200).map((a) => ({ ticketId: a.ticketId, buckets: a.buckets, refreshedAt: now })) as never);
  }
  await em.createQueryBuilder().delete().from(FigureDirty).where('ticket_id IN (:...ids)', { ids }).execute();
  return ids.length;
}

/** Adds each delta to its bucket row (created at zero when missing), in the given (key) order. */
async function addToBuckets(em: EntityManager, deltas: readonly Bucket[]): Promise<void> {
  const cols = ['department_code', 'day', 'accused', ...COLUMNS];
  const update = isMysql(em)
    ? `ON DUPLICATE KEY UPDATE ${COLUMNS.map((c) => `${c} = ${c} + VALUES(${c})`).join(', ')}`
    : `ON CONFLICT (department_code, day, accused) DO UPDATE SET ${COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`;
  for (let i = 0; i < deltas.length; i += 200) {
    const chunk = deltas.slice(i, i + 200);
    const values = chunk.map(() => `(${cols.map(() => '?').join(',')})`).join(',');
    const params = chunk.flatMap((b) => [b.departmentCode, b.day, b.accused, ...FIGURE_COUNTS.map((k) => b.counts[k])]);
    await em.query(`INSERT INTO report_figure (${cols.join(',')}) VALUES ${values} ${update}`, params);
  }
}

/**
 * The buckets of the local days [firstDay, lastDay] of the departments, summed per
 * (department, accused), leaving out those accusing `hideAccusedOf`.
 */
export async function readBuckets(em: EntityManager, codes: readonly string[], firstDay: string, lastDay: string, hideAccusedOf: string | null): Promise<Bucket[]> {
  const qb = em
    .createQueryBuilder()
    .from(ReportFigure, 'f')
    .select('f.department_code', 'department_code')
    .addSelect('f.accused', 'accused')
    .where('f.department_code IN (:...codes)', { codes: [...codes] })
    .andWhere('f.day >= :firstDay AND f.day <= :lastDay', { firstDay, lastDay })
    .groupBy('f.department_code')
    .addGroupBy('f.accused');
  for (const c of COLUMNS) qb.addSelect(`SUM(f.${c})`, c);
  if (hideAccusedOf) qb.andWhere('f.accused <> :hide', { hide: hideAccusedOf });
  const rows: Record<string, unknown>[] = await qb.getRawMany();
  return rows.map((r) => {
    const counts: FigureCounts = zeroCounts();
    FIGURE_COUNTS.forEach((k, i) => {
      counts[k] = Number(r[COLUMNS[i]] ?? 0);
    });
    return { departmentCode: String(r.department_code), day: '', accused: String(r.accused), counts };
  });
}

/**
 * The live part of the figures (`LiveCounts`, src/domain/figures.ts): per department, the
 * open tickets received in [from, to) whose sign-for or reply deadline has passed by `now`
 * (`missedDeadlines`, domain/metrics.ts), found through the stored deadline key: the cost
 * follows the overdue tickets, not the open ones. Integrity reports are never open and
 * counted (DESIGN §9), so they are not read.
 */
export async function readLive(em: EntityManager, codes: readonly string[], range: { from: Date; to: Date }, now: Date): Promise<(LiveCounts & { departmentCode: string })[]> {
  const rows: Record<string, unknown>[] = await em
    .createQueryBuilder()
    .from(Ticket, 't')
    .select('t.department_code', 'department_code')
    .addSelect("SUM(CASE WHEN t.state = 'dispatched' AND t.sign_by <= :now THEN 1 ELSE 0 END)", 'sign_missed')
    .addSelect('SUM(CASE WHEN t.reply_by <= :now THEN 1 ELSE 0 END)', 'reply_missed')
    .addSelect('COUNT(*)', 'overdue_open')
    .where('t.department_code IN (:...codes)', { codes: [...codes] })
    .andWhere("t.state IN ('dispatched', 'in_progress')")
    .andWhere("t.kind <> 'integrity_report'")
    .andWhere('t.received_at >= :from AND t.received_at < :to', { from: range.from, to: range.to })
    // in these two states `list_deadline` is the earliest of the sign-for (dispatched) and reply
    // deadlines (queries/deadline-keys.ts), so this is `reply_by ≤ now OR (dispatched AND sign_by ≤ now)`
    // read through (department_code, state, list_deadline, id): only the overdue tickets, not every open one
    .andWhere('t.list_deadline <= :now', { now })
    .groupBy('t.department_code')
    .getRawMany();
  return rows.map((r) => ({
    departmentCode: String(r.department_code),
    signMissed: Number(r.sign_missed),
    replyMissed: Number(r.reply_missed),
    overdueOpen: Number(r.overdue_open),
  }));
}

/** Batches a report refreshes before it reads (500 tickets each); more marks than that and it reads the raw rows instead. */
export const CATCH_UP_BATCHES = 20;

/** Per database: the catch-up running in this process, and the one queued behind it (with the latest `now` asked for). */
const catchUps = new WeakMap<DataSource, { running: Promise<boolean>; queued: { run: Promise<boolean>; now: Date; tz: string } | null }>();

/**
 * Before a report reads the buckets: refreshes what is still marked, at most
 * {@link CATCH_UP_BATCHES} batches (the workers' sweep keeps the backlog far below that).
 * Reports asking at the same time in one process share the work: while a catch-up runs, every
 * report that asks waits for one more catch-up, started when the running one ends (so it sees
 * every mark committed before the report asked) and run once for all of them, as of the latest
 * `now` among them. Without this, each report refreshed the same few marks and they queued on
 * the same bucket rows (issue 15: the report was the slowest request of the mixed load).
 * @returns whether the buckets are now current (else the report reads the raw rows)
 * @throws what the refresh throws (a conflict given up: 503 `database-conflict`), to every report sharing it
 */
export function catchUpFigures(ds: DataSource, tz: string, now: Date): Promise<boolean> {
  const once = (at: Date, zone: string) => refreshFigures(ds, { tz: zone, now: at, maxBatches: CATCH_UP_BATCHES }).then((r) => !r.remaining);
  const s = catchUps.get(ds);
  if (!s) {
    const state = { running: once(now, tz), queued: null as { run: Promise<boolean>; now: Date; tz: string } | null };
    catchUps.set(ds, state);
    const settle = (): void => {
      if (!state.queued) {
        catchUps.delete(ds);
        return;
      }
      const q = state.queued;
      state.queued = null;
      state.running = q.run;
      q.run.then(settle, settle);
    };
    state.running.then(settle, settle);
    return state.running;
  }
  if (s.queued) {
    if (now > s.queued.now) s.queued.now = now;
    return s.queued.run;
  }
  const queued = { now, tz, run: null as unknown as Promise<boolean> };
  // starts when the running one has ended, whatever its outcome; reads `now` then, the latest asked for
  queued.run = s.running.then(
    () => once(queued.now, queued.tz),
    () => once(queued.now, queued.tz),
  );
  s.queued = queued;
  return queued.run;
}

/**
 * Rebuilds the maintained figures of every ticket (after a bulk load, e.g. `bench:scale`):
 * marks every ticket and refreshes until nothing is marked. Safe while the service runs.
 * @param o.batch tickets per transaction (default 1,000)
 * @returns what the refresh did
 */
export async function rebuildFigures(ds: DataSource, o: { tz: string; batch?: number; now?: Date }): Promise<RefreshResult> {
  await inTransaction(ds, (em) => markAllFiguresDirty(em));
  return refreshFigures(ds, { tz: o.tz, batch: o.batch ?? 1000, now: o.now });
}
