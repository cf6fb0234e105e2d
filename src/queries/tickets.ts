import { Brackets, EntityManager, SelectQueryBuilder } from 'typeorm';
import { Ticket, TicketSearchToken } from '../entities';
import { queryWords } from '../domain/search';
import { searchForm } from '../domain/text';
import { type Actor, BEFORE_REPLY_STATES, type TicketKind, type TicketState } from '../domain/lifecycle';
import { listDeadline, OWING_STATES } from '../domain/owed';
import { visibilityScope } from './visibility';
import { decodeCursor, decodeDeadlineCursor, encodeCursor, encodeDeadlineCursor, NO_DEADLINE } from './cursor';

/** The filters of `GET /api/v1/tickets` and of the workbench lists (DESIGN §13). Instants are UTC. */
/** A ticket as the queries and commands return it (the stored row); edges present it, never save it. */
export type TicketRecord = Ticket;

export interface TicketFilter {
  state?: TicketState;
  kind?: TicketKind;
  departmentCode?: string;
  overdue?: boolean;
  dueSoon?: boolean;
  escalationLevel?: number;
  /** only tickets still owing their answer (`registered` … `awaiting_info`: before `replied`); the workbench's, not the API's */
  unanswered?: boolean;
  /** received at or after */
  from?: Date;
  /** received before */
  to?: Date;
  /** words of the title or description (all must match), or a ticket number, phone number or credit code (docs/decisions/search.md) */
  q?: string;
  limit: number;
  /** an opaque cursor from a previous page (of the same sort) */
  cursor?: string;
  /**
   * `newest` (default; the API): newest first. `deadline` (the workbench lists): the next
   * deadline first (`listDeadline`, domain/owed.ts), tickets without one last.
   */
  sort?: 'newest' | 'deadline';
}

/** The filters without paging: what a count takes. */
export type TicketCriteria = Omit<TicketFilter, 'limit' | 'cursor' | 'sort'>;

const inList = (states: readonly string[]) => states.map((s) => `'${s}'`).join(',');

/**
 * SQL for "overdue" (DESIGN §4), as `isOverdue`: an owed deadline ≤ `:now`. Over the stored
 * key (queries/deadline-keys.ts): in a state of `OWING_STATES` (`OWED_IN_STATE`, domain/owed.ts)
 * `list_deadline` is the earliest owed deadline, so the state and `list_deadline ≤ :now` are read
 * through (state, list_deadline, id) or (department_code, state, list_deadline, id). Never NULL,
 * so `NOT` of it is the complement.
 */
export function overdueSql(alias = 't'): string {
  return `(${alias}.state IN (${inList(OWING_STATES)}) AND ${alias}.list_deadline <= :now)`;
}

/**
 * SQL for "due soon" (DESIGN §4), as `isDueSoon`: owing, `due_soon_at ≤ :now`, not overdue —
 * `due_soon_key` (NULL unless owing) ≤ `:now` < `list_deadline` (the earliest owed deadline),
 * read through (due_soon_key, list_deadline). Never NULL, so `NOT` of it is the complement.
 */
export function dueSoonSql(alias = 't'): string {
  return `(${alias}.due_soon_key IS NOT NULL AND ${alias}.due_soon_key <= :now AND ${alias}.list_deadline > :now)`;
}

/**
 * SQL for the list sort key (`listDeadline`): the stored `list_deadline` (generated from
 * `LIST_DEADLINE_IN_STATE`, queries/deadline-keys.ts), `NO_DEADLINE` (far future) when there is
 * none, so that the keyset compares non-null values and an index on it gives the order.
 */
export function listDeadlineSql(alias = 't'): string {
  return `${alias}.list_deadline`;
}

/** The visible tickets matching the criteria, as a query to page or count (exported for `bench:search`'s EXPLAIN). */
export function criteriaQuery(em: EntityManager, actor: Actor, f: TicketCriteria, now: Date): SelectQueryBuilder<Ticket> {
  const qb = em.getRepository(Ticket).createQueryBuilder('t');
  visibilityScope(qb, actor);
  if (f.state) qb.andWhere('t.state = :state', { state: f.state });
  if (f.kind) qb.andWhere('t.kind = :kind', { kind: f.kind });
  if (f.departmentCode) qb.andWhere('t.department_code = :dep', { dep: f.departmentCode });
  if (f.escalationLevel !== undefined) qb.andWhere('t.escalation_level = :lvl', { lvl: f.escalationLevel });
  if (f.unanswered) qb.andWhere(`t.state IN (${inList(BEFORE_REPLY_STATES)})`);
  if (f.from) qb.andWhere('t.received_at >= :from', { from: f.from });
  if (f.to) qb.andWhere('t.received_at < :to', { to: f.to });
  // A query that shows nothing (spaces or invisible characters only) filters nothing, like an empty one.
  if (f.q && searchForm(f.q)) {
    // Through the search index (issue 15 item 3, docs/decisions/search.md): one join per word
    // of the query on the index's primary key (token, created_at, ticket_id), so that each
    // word must be a token of the ticket (its title's and description's words, its number,
    // phone, credit codes). The longest word is `s0`, whose rows give the newest-first order
    // (`listTickets`). A query without a word (punctuation only) matches nothing.
    const words = [...queryWords(f.q)].sort((a, b) => b.length - a.length);
    if (!words.length) qb.andWhere('1 = 0');
    words.forEach((w, i) => {
      qb.innerJoin(TicketSearchToken, `s${i}`, `s${i}.token = :sw${i} AND s${i}.created_at = t.created_at AND s${i}.ticket_id = t.id`, { [`sw${i}`]: w });
    });
  }
  if (f.overdue !== undefined) qb.andWhere(f.overdue ? overdueSql() : `NOT ${overdueSql()}`, { now });
  if (f.dueSoon !== undefined) qb.andWhere(f.dueSoon ? dueSoonSql() : `NOT ${dueSoonSql()}`, { now });
  return qb;
}

/**
 * Orders a criteria query newest first (created_at DESC, id DESC) from the keyset `cursor`.
 * A search orders by its first index join's copy of the same two columns (`s0`, equal to the
 * ticket's by the join), so the database reads the word's index rows in that order and stops
 * at the page's end. Exported for `bench:search`'s EXPLAIN.
 * @throws AppError 400 for a cursor this service did not issue
 */
export function newestFirst(qb: SelectQueryBuilder<Ticket>, cursor: string | undefined): SelectQueryBuilder<Ticket> {
  const searched = qb.expressionMap.joinAttributes.some((j) => j.alias.name === 's0');
  const [at, id] = searched ? ['s0.created_at', 's0.ticket_id'] : ['t.created_at', 't.id'];
  const cur = decodeCursor(cursor);
  if (cur) qb.andWhere(new Brackets((w) => w.where(`${at} < :cat`, { cat: cur.at }).orWhere(`${at} = :cat AND ${id} < :cid`, { cat: cur.at, cid: cur.id })));
  return qb.orderBy(at, 'DESC').addOrderBy(id, 'DESC');
}

/**
 * The tickets `actor` may see that match `f` (visibility applied inside the query, DESIGN §1,
 * §7), newest first (keyset over created_at, id) or, with `sort: 'deadline'`, next deadline
 * first (keyset over the sort key of `listDeadlineSql`, id).
 * @returns one page and the cursor of the next (`null` on the last page)
 * @throws AppError 400 for a cursor this service did not issue
 */
export async function listTickets(em: EntityManager, actor: Actor, f: TicketFilter, now: Date): Promise<{ items: Ticket[]; nextCursor: string | null }> {
  const qb = criteriaQuery(em, actor, f, now);
  if (f.sort === 'deadline') {
    const key = listDeadlineSql();
    const cur = decodeDeadlineCursor(f.cursor);
    if (cur) qb.andWhere(new Brackets((w) => w.where(`${key} > :dkey`, { dkey: cur.at }).orWhere(`${key} = :dkey AND t.id > :did`, { dkey: cur.at, did: cur.id })));
    const rows = await qb
      .orderBy(key, 'ASC')
      .addOrderBy('t.id', 'ASC')
      .limit(f.limit + 1)
      .getMany();
    const items = rows.slice(0, f.limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > f.limit ? encodeDeadlineCursor(listDeadline(last) ?? NO_DEADLINE, last.id) : null };
  }
  const rows = await newestFirst(qb, f.cursor)
    .limit(f.limit + 1)
    .getMany();
  const items = rows.slice(0, f.limit);
  return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].createdAt, items[items.length - 1].id) : null };
}

/** How many tickets `actor` may see match the criteria (the workbench's counts; the same visibility as the list). */
export async function countTickets(em: EntityManager, actor: Actor, f: TicketCriteria, now: Date): Promise<number> {
  return criteriaQuery(em, actor, f, now).getCount();
}
