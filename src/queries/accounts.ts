/**
 * Reading accounts (the admin's user list and page, `GET /api/v1/users…`; issue 10). Accounts
 * are read by the admin only (the route and the page check the role); these queries apply no
 * further scope.
 */
import { Brackets, DataSource } from 'typeorm';
import { AccountEvent, User } from '../entities';
import type { Role } from '../domain/lifecycle';
import { notFound } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';

/** Filters of the account list: role, department, active or not, and a search in username and name. */
export interface AccountFilter {
  role?: Role;
  departmentCode?: string;
  active?: boolean;
  q?: string;
  limit: number;
  cursor?: string;
}

/** A LIKE pattern matching `s` anywhere, its wildcards escaped with `!` (the same on MariaDB and SQLite). */
const likeLiteral = (s: string) => `%${s.replace(/[!%_]/g, (c) => `!${c}`)}%`;

/**
 * Accounts newest first (keyset over createdAt, id), filtered.
 * @returns `{ items, nextCursor }`; @throws 400 for a foreign cursor
 */
export async function listAccounts(db: DataSource, f: AccountFilter): Promise<{ items: User[]; nextCursor: string | null }> {
  const qb = db.getRepository(User).createQueryBuilder('u');
  if (f.role) qb.andWhere('u.role = :role', { role: f.role });
  if (f.departmentCode) qb.andWhere('u.department_code = :dep', { dep: f.departmentCode });
  if (f.active !== undefined) qb.andWhere('u.active = :active', { active: f.active });
  const q = f.q;
  if (q) qb.andWhere(new Brackets((w) => w.where("u.username LIKE :q ESCAPE '!'", { q: likeLiteral(q) }).orWhere("u.name LIKE :q ESCAPE '!'", { q: likeLiteral(q) })));
  const cur = decodeCursor(f.cursor);
  if (cur) qb.andWhere('(u.created_at < :cat OR (u.created_at = :cat AND u.id < :cid))', { cat: cur.at, cid: cur.id });
  const rows = await qb
    .orderBy('u.created_at', 'DESC')
    .addOrderBy('u.id', 'DESC')
    .take(f.limit + 1)
    .getMany();
  const items = rows.slice(0, f.limit);
  return { items, nextCursor: rows.length > f.limit ? encodeCursor(items[items.length - 1].createdAt, items[items.length - 1].id) : null };
}

/** One account. @throws 404 `not-found` */
export async function getAccount(db: DataSource, id: string): Promise<User> {
  const u = await db.getRepository(User).findOneBy({ id });
  if (!u) throw notFound('account');
  return u;
}

/** An account by its exact username (the CLI names accounts so), or null. */
export async function findAccountByUsername(db: DataSource, username: string): Promise<User | null> {
  const u = await db.getRepository(User).findOneBy({ username });
  // MariaDB's collation matches `ADMIN` to `admin`: only the exact name counts
  return u && u.username === username ? u : null;
}

/** What was recorded about an account, newest first (at most 200). @throws 404 `not-found` */
export async function accountHistory(db: DataSource, id: string): Promise<AccountEvent[]> {
  await getAccount(db, id);
  return db.getRepository(AccountEvent).find({ where: { userId: id }, order: { seq: 'DESC' }, take: 200 });
}
