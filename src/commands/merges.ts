/**
 * Merges (并单) kept sound under concurrency (DESIGN §3; issue 13 items 1 and 2; the rules in
 * `src/domain/merge.ts`): the rows are locked in a fixed order (by id) on MariaDB; the
 * embedded SQLite serializes whole transactions, so the checks made here in the action's
 * transaction hold there too.
 */
import { EntityManager } from 'typeorm';
import { Ticket } from '../entities';
import { isMysql } from '../db';
import { conflict } from '../errors';
import { UNMERGED_STATE, unmergeReason } from '../domain/merge';
import { CommandContext } from './context';
import { appendEvent } from './events';
import { recomputeDeadlines } from './deadlines';
import { saveTicket } from './ticket-store';
import { followDepartment } from './oversight';

const forUpdate = (em: EntityManager) => (isMysql(em) ? { lock: { mode: 'pessimistic_write' as const } } : {});

/**
 * Locks the ticket rows `ids` (SELECT … FOR UPDATE on MariaDB), one at a time in ascending id
 * order, so that two transactions locking overlapping pairs never deadlock, and returns them
 * as they are now (a locking read sees the latest committed row). Unknown ids are absent.
 */
export async function lockTickets(em: EntityManager, ids: readonly string[]): Promise<Map<string, Ticket>> {
  const out = new Map<string, Ticket>();
  for (const id of [...new Set(ids)].sort()) {
    const row = await em.getRepository(Ticket).findOne({ where: { id }, ...forUpdate(em) });
    if (row) out.set(id, row);
  }
  return out;
}

/**
 * Checks that the ticket the action loaded is still the ticket under the lock.
 * @throws 409 `concurrent-update` when another transaction changed it in between
 */
export function sameVersion(loaded: Ticket, locked: Ticket | undefined): void {
  if (!locked || locked.version !== loaded.version) throw conflict('concurrent-update', 'the ticket was changed by someone else at the same time; reload and retry');
}

/** The tickets merged into `primaryId`, locked, by number. */
async function mergedInto(em: EntityManager, primaryId: string): Promise<Ticket[]> {
  return em.getRepository(Ticket).find({ where: { mergedIntoId: primaryId, state: 'merged' }, order: { number: 'ASC' }, ...forUpdate(em) });
}

/** Tickets changed by the merge bookkeeping of a transaction, besides the acted-on one (their timers are re-armed after commit). */
const touched = new WeakMap<EntityManager, string[]>();
/** The ids of other tickets this transaction changed through merges (see {@link touched}). */
export const ticketsTouchedByMerges = (em: EntityManager): string[] => touched.get(em) ?? [];
const touch = (em: EntityManager, id: string) => touched.set(em, [...ticketsTouchedByMerges(em), id]);

/**
 * The tickets merged into `from` follow it into `primary` (so merges stay one level deep):
 * each gets `mergedIntoId = primary.id` and a `merged` event (`merged` → `merged`, payload
 * `{ intoTicketId, intoNumber, previousIntoTicketId, previousIntoNumber }`), whose mail tells
 * its submitter the number that now carries the answer. Call with `from` and `primary` locked.
 * @returns the ids of the moved tickets
 */
export async function moveMerged(ctx: CommandContext, from: Ticket, primary: Ticket): Promise<string[]> {
  const { em, now, actor } = ctx;
  const moved: string[] = [];
  for (const m of await mergedInto(em, from.id)) {
    const read = m.version;
    m.mergedIntoId = primary.id;
    await saveTicket(em, m, read, now);
    await appendEvent(em, m, {
      type: 'merged',
      actor,
      at: now,
      fromState: 'merged',
      toState: 'merged',
      payload: { intoTicketId: primary.id, intoNumber: primary.number, previousIntoTicketId: from.id, previousIntoNumber: from.number },
    });
    touch(em, m.id);
    moved.push(m.id);
  }
  return moved;
}

/**
 * A primary that ended without an answer (`primary.state` withdrawn or rejected, as set by
 * the action) releases the tickets merged into it (issue 13 item 2): each returns to
 * `registered` (待分派) without a department, its dispatch clock restarting now and its reply
 * clock still counting from its own receipt (the submitter's wait is not reset, as on a
 * return), its open oversight orders addressed to the coordinator office, with an `unmerged`
 * event (`merged` → `registered`, payload `{ fromTicketId, fromNumber, reason }`, reason
 * `primary_withdrawn` / `primary_rejected`) whose mail (`ticket_unmerged`) tells its
 * submitter that their problem is handled on its own. Locks the primary's row first, so a
 * merge into it that committed meanwhile is seen.
 * @returns the ids of the released tickets
 * @throws 409 `concurrent-update` when the primary changed since the action read it
 */
export async function releaseMerged(ctx: CommandContext, primary: Ticket, readVersion: number): Promise<string[]> {
  const { em, now, actor } = ctx;
  const locked = await lockTickets(em, [primary.id]);
  sameVersion({ version: readVersion } as Ticket, locked.get(primary.id));
  const released: string[] = [];
  for (const m of await mergedInto(em, primary.id)) {
    const read = m.version;
    const from = m.state;
    m.state = UNMERGED_STATE;
    m.mergedIntoId = null;
    m.closedAt = null;
    const previousDepartmentCode = m.departmentCode;
    m.departmentCode = null;
    m.routingClockStart = now;
    await recomputeDeadlines(ctx, m);
    await saveTicket(em, m, read, now);
    await appendEvent(em, m, {
      type: 'unmerged',
      actor,
      at: now,
      fromState: from,
      toState: m.state,
      payload: { fromTicketId: primary.id, fromNumber: primary.number, reason: unmergeReason(primary.state), previousDepartmentCode },
    });
    await followDepartment(ctx, m);
    touch(em, m.id);
    released.push(m.id);
  }
  return released;
}
