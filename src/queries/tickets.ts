import { Brackets, EntityManager } from 'typeorm';
import { Ticket } from '../entities';
import type { Actor, TicketKind, TicketState } from '../domain/lifecycle';
import { OWED_FIELD, OwedDeadline, OWING_STATES, statesOwing } from '../domain/owed';
import { visibilityScope } from './visibility';
import { decodeCursor, encodeCursor } from './cursor';

/** The filters of `GET /api/v1/tickets` and of the workbench lists (DESIGN §13). Instants are UTC. */
export interface TicketFilter {
  state?: TicketState;
  kind?: TicketKind;
  departmentCode?: string;
  overdue?: boolean;
  dueSoon?: boolean;
  escalationLevel?: number;
  /** received at or after */
  from?: Date;
  /** received before */
  to?: Date;
  /** a word of the title, or a ticket number */
  q?: string;
  limit: number;
  /** an opaque cursor from a previous page */
  cursor?: string;
}

const COLUMN: Record<OwedDeadline, string> = { dispatch: 'dispatch_by', sign: 'sign_by', reply: 'reply_by' };
const inList = (states: readonly string[]) => states.map((s) => `'${s}'`).join(',');

/**
 * SQL for "overdue" (DESIGN §4), generated from `OWED_IN_STATE` (`domain/owed.ts`), the
 * table `isOverdue` reads: some owed deadline ≤ `:now`.
 */
export function overdueSql(alias = 't'): string {
  return `(${(Object.keys(OWED_FIELD) as OwedDeadline[]).map((d) => `(${alias}.state IN (${inList(statesOwing(d))}) AND ${alias}.${COLUMN[d]} <= :now)`).join(' OR ')})`;
}

/** SQL for "due soon" (DESIGN §4), as `isDueSoon`: owing, `due_soon_at ≤ :now`, not overdue. */
export function dueSoonSql(alias = 't'): string {
  return `(${alias}.state IN (${inList(OWING_STATES)}) AND ${alias}.due_soon_at <= :now AND NOT ${overdueSql(alias)})`;
}

/**
 * The tickets `actor` may see that match `f`, newest first (keyset over created_at, id).
 * @returns one page and the cursor of the next (`null` on the last page)
 * @throws AppError 400 for a cursor this service did not issue
 */
export async function listTickets(em: EntityManager, actor: Actor, f: TicketFilter, now: Date): Promise<{ items: Ticket[]; nextCursor: string | null }> {
  const qb = em.getRepository(Ticket).createQueryBuilder('t');
  visibilityScope(qb, actor);
  if (f.state) qb.andWhere('t.state = :state', { state: f.state });
  if (f.kind) qb.andWhere('t.kind = :kind', { kind: f.kind });
  if (f.departmentCode) qb.andWhere('t.department_code = :dep', { dep: f.departmentCode });
  if (f.escalationLevel !== undefined) qb.andWhere('t.escalation_level = :lvl', { lvl: f.escalationLevel });
  if (f.from) qb.andWhere('t.received_at >= :from', { from: f.from });
  if (f.to) qb.andWhere('t.received_at < :to', { to: f.to });
  if (f.q) {
    // '!' escapes the LIKE metacharacters on both databases (SQLite has no default escape character).
    const like = `%${f.q.replace(/[%_!]/g, (c) => `!${c}`)}%`;
    qb.andWhere(new Brackets((w) => w.where("t.title LIKE :q ESCAPE '!'", { q: like }).orWhere('t.number = :num', { num: f.q })));
  }
  if (f.overdue !== undefined) qb.andWhere(f.overdue ? overdueSql() : `NOT ${overdueSql()}`, { now });
  if (f.dueSoon !== undefined) qb.andWhere(f.dueSoon ? dueSoonSql() : `NOT ${dueSoonSql()}`, { now });
  const cur = decodeCursor(f.cursor);
  if (cur) qb.andWhere(new Brackets((w) => w.where('t.created_at < :cat', { cat: cur.at }).orWhere('t.created_at = :cat AND t.id < :cid', { cat: cur.at, cid: cur.id })));
  const rows = await qb.orderBy('t.created_at', 'DESC').addOrderBy('t.id', 'DESC').take(f.limit + 1).getMany();
  const items = rows.slice(0, f.limit);
  return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].createdAt, items[items.length - 1].id) : null };
}
