/**
 * Keeping the search index (`ticket_search_token`, issue 15 item 3; docs/decisions/search.md):
 * written with the ticket in its creating transaction, and rebuilt in batches for tickets
 * loaded without it (`reindexSearch`: the migration's backfill, `cli reindex-search`, bulk
 * loaders). The tokens come from `ticketSearchTokens` (domain/search.ts).
 */
import type { EntityManager } from 'typeorm';
import type { Contact, Ticket } from '../entities/ticket';
import { TicketSearchToken } from '../entities/ticket-search-token';
import { SearchableTicket, ticketSearchTokens, valueToken } from '../domain/search';
import type { TicketKind } from '../domain/lifecycle';

/** Rows per multi-row INSERT (3 parameters each: well under SQLite's 32,766 and MariaDB's packet). */
const ROWS_PER_INSERT = 2000;

/** (token, created_at as the database stores it, ticket id) */
type TokenRow = [string, unknown, string];

const mysql = (em: EntityManager) => ['mysql', 'mariadb'].includes(em.connection.options.type);

/** Inserts (token, created_at, ticket id) rows in multi-row statements; `ignore` skips rows already there. */
async function insertRows(em: EntityManager, rows: TokenRow[], ignore = false): Promise<void> {
  const verb = ignore ? (mysql(em) ? 'INSERT IGNORE' : 'INSERT OR IGNORE') : 'INSERT';
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    await em.query(`${verb} INTO ticket_search_token (token, created_at, ticket_id) VALUES ${chunk.map(() => '(?, ?, ?)').join(', ')}`, chunk.flat());
  }
}

/** A ticket's `createdAt` as the driver writes a datetime(3) column (SQLite binds no Date). */
function stored(em: EntityManager, createdAt: Date): unknown {
  const column = em.connection.getMetadata(TicketSearchToken).findColumnWithPropertyName('createdAt')!;
  return em.connection.driver.preparePersistentValue(createdAt, column);
}

/**
 * Indexes a new ticket's words, phone and credit codes, before it has its number (so this
 * happens before the year's counter row is locked). Inside the creating transaction.
 */
export async function indexNewTicket(em: EntityManager, t: SearchableTicket & Pick<Ticket, 'id' | 'createdAt'>): Promise<void> {
  const at = stored(em, t.createdAt);
  await insertRows(
    em,
    ticketSearchTokens({ ...t, number: '' }).map((token) => [token, at, t.id]),
  );
}

/** Indexes a new ticket's number, once allocated (the same transaction; its words may already hold it). */
export async function indexTicketNumber(em: EntityManager, t: Pick<Ticket, 'id' | 'number' | 'createdAt'>): Promise<void> {
  await insertRows(em, [[valueToken(t.number), stored(em, t.createdAt), t.id]], true);
}

/**
 * Replaces the index rows of one ticket (for a command that changes what is searched; none
 * does today: title, description and contact are fixed at creation).
 */
export async function reindexTicket(em: EntityManager, t: SearchableTicket & Pick<Ticket, 'id' | 'createdAt'>): Promise<void> {
  await em.query('DELETE FROM ticket_search_token WHERE ticket_id = ?', [t.id]);
  const at = stored(em, t.createdAt);
  await insertRows(
    em,
    ticketSearchTokens(t).map((token) => [token, at, t.id]),
  );
}

interface Row {
  id: string;
  created_at: unknown;
  kind: TicketKind;
  number: string;
  title: string;
  description: string;
  contact: string | null;
  subject_credit_code: string | null;
}

/**
 * Rebuilds the index rows of at most `limit` tickets in id order after `after` (exclusive;
 * from the start without it): the old rows of the ids in that range are deleted and the new
 * ones inserted in primary key order, `ROWS_PER_INSERT` at a time. Run it in a transaction per batch; walk a whole table by
 * passing the returned `last` as the next `after` until `tickets` is 0.
 * @returns how many tickets and tokens were written, and the last ticket id (`null` when none was left)
 */
export async function reindexSearch(em: EntityManager, o: { after?: string; limit: number }): Promise<{ tickets: number; tokens: number; last: string | null }> {
  const rows: Row[] = await em.query(
    `SELECT id, created_at, kind, number, title, description, contact, subject_credit_code FROM ticket${o.after !== undefined ? ' WHERE id > ?' : ''} ORDER BY id LIMIT ${Math.max(1, Math.floor(o.limit))}`,
    o.after !== undefined ? [o.after] : [],
  );
  if (!rows.length) return { tickets: 0, tokens: 0, last: null };
  const last = rows[rows.length - 1].id;
  // The batch is every ticket id in (after, last]: one range delete on the ticket_id index
  // (it also drops rows left by a ticket that is gone).
  await em.query(`DELETE FROM ticket_search_token WHERE ${o.after !== undefined ? 'ticket_id > ? AND ' : ''}ticket_id <= ?`, o.after !== undefined ? [o.after, last] : [last]);
  const out: TokenRow[] = [];
  for (const r of rows) {
    const contact: Contact | null = r.contact ? JSON.parse(r.contact) : null;
    for (const token of ticketSearchTokens({ kind: r.kind, number: r.number, title: r.title, description: r.description, contact, subjectCreditCode: r.subject_credit_code }))
      out.push([token, r.created_at, r.id]);
  }
  // by token (then in id order, as read): each statement fills the pages of its tokens one after the other
  out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  await insertRows(em, out);
  return { tickets: rows.length, tokens: out.length, last };
}
