import Router from '@koa/router';
import { invalidateStaffCache } from '../../notifications/recipients';
import { randomUUID } from 'node:crypto';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { line, CreditCode, Mobile, Email, RoleE, Paging } from '../../schemas';
import { Category, Department, User } from '../../entities';
import { hashPassword, verifyPassword } from '../../passwords';
import { createStaffAccount, StaffAccount } from '../../commands/accounts';
import { presentCategory, presentDepartment, presentUser } from '../presenters';
import { requireRole } from '../auth';
import { AppError, conflict } from '../../errors';
import { isDuplicateKey } from '../../db';
import { decodeCursor, encodeCursor } from '../../queries/cursor';
import { ATTEMPT_WINDOW_MS, createAttemptStore, takeAttempt } from '../limiter';

/** Failed sign-ins allowed per username (lower-cased) in 15 minutes, then 429 (docs/decisions/security.md). */
export const LOGIN_MAX_PER_USERNAME = 10;
/** Failed sign-ins allowed per client address in 15 minutes: higher, as a service hall or an office shares one address. */
export const LOGIN_MAX_PER_ADDRESS = 30;

const Password = z.string().min(8, 'at least 8 characters').max(128, 'at most 128 characters');

/** Login, owner self-registration, staff accounts, reference lists (DESIGN §13). */
export function accountRoutes(router: Router, deps: AppDeps) {
  // Uniform work for unknown users, so that timing does not reveal which usernames exist.
  const dummyHash = hashPassword(randomUUID());
  const loginAttempts = createAttemptStore(deps);

  route(router, { method: 'post', path: '/auth/login', summary: 'Sign in; owners use their phone number as username', tags: ['auth'], auth: 'public',
    body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) }).strict() },
  async (ctx, { body }) => {
    // Counted before argon2 (≈19 MiB, ≈10 ms a try), so that a flood of guesses, even
    // concurrent, is refused cheaply (docs/decisions/security.md).
    const userKey = `login:user:${body.username.toLowerCase()}`;
    const addrKey = `login:addr:${ctx.ip}`;
    await takeAttempt(ctx, loginAttempts, [
      { key: userKey, max: LOGIN_MAX_PER_USERNAME, windowMs: ATTEMPT_WINDOW_MS },
      { key: addrKey, max: LOGIN_MAX_PER_ADDRESS, windowMs: ATTEMPT_WINDOW_MS },
    ], 'too many failed sign-ins; try again later');
    const found = await deps.db.getRepository(User).findOneBy({ username: body.username });
    // MariaDB's collation matches `ADMIN` and `admin ` to `admin`: only the exact name is that account.
    const u = found && found.username === body.username ? found : null;
    const ok = await verifyPassword(u ? u.passwordHash : await dummyHash, body.password);
    if (!u || !ok || !u.active) throw new AppError(401, 'invalid-credentials', 'wrong username or password');
    await loginAttempts.clear([userKey]);
    await loginAttempts.refund([addrKey]);
    ctx.body = { token: await deps.tokens.issue(u, deps.clock.now()), user: presentUser(u) };
  });

  route(router, { method: 'post', path: '/owners', summary: 'Owner self-registration', tags: ['auth'], auth: 'public', status: 201,
    body: z.object({ phone: Mobile, password: Password, name: line(100), creditCode: CreditCode.optional(), businessName: line(100).optional(), email: Email.optional() }).strict() },
  async (ctx, { body }) => {
    const u = Object.assign(new User(), {
      id: randomUUID(), username: body.phone, passwordHash: await hashPassword(body.password), role: 'owner', name: body.name, email: body.email ?? null,
      phone: body.phone, departmentCode: null, isHead: false, creditCode: body.creditCode ?? null, businessName: body.businessName ?? null,
      notifyPrefs: null, active: true, createdAt: deps.clock.now(),
    });
    try {
      await deps.db.getRepository(User).insert(u);
      invalidateStaffCache();
    } catch (e) {
      if (isDuplicateKey(e)) throw conflict('account-exists', 'an account with this phone number exists');
      throw e;
    }
    ctx.status = 201;
    ctx.body = presentUser(u);
  });

  route(router, { method: 'post', path: '/users', roles: ['admin'] as const, summary: 'Create a staff account (admin)', tags: ['users'], status: 201, body: StaffAccount },
    async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = presentUser(await createStaffAccount(deps.db, body, deps.clock.now()));
    });

  route(router, { method: 'get', path: '/users', summary: 'List accounts (admin)', tags: ['users'], query: z.object({ role: RoleE.optional(), ...Paging }).strict() },
    async (ctx, { query }) => {
      requireRole(ctx, 'admin');
      const qb = deps.db.getRepository(User).createQueryBuilder('u');
      if (query.role) qb.andWhere('u.role = :role', { role: query.role });
      const cur = decodeCursor(query.cursor);
      if (cur) qb.andWhere('(u.created_at < :cat OR (u.created_at = :cat AND u.id < :cid))', { cat: cur.at, cid: cur.id });
      const rows = await qb.orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').take(query.limit + 1).getMany();
      const page = rows.slice(0, query.limit);
      ctx.body = { items: page.map(presentUser), nextCursor: rows.length > query.limit ? encodeCursor(page[page.length - 1].createdAt, page[page.length - 1].id) : null };
    });

  route(router, { method: 'get', path: '/me', summary: 'The signed-in account', tags: ['auth'] }, async (ctx) => {
    requireRole(ctx);
    ctx.body = presentUser(ctx.state.user as User);
  });

  route(router, { method: 'get', path: '/departments', summary: 'Departments (stable codes)', tags: ['reference'] }, async (ctx) => {
    requireRole(ctx);
    const rows = await deps.db.getRepository(Department).find({ order: { code: 'ASC' } });
    ctx.body = { items: rows.map(presentDepartment), nextCursor: null };
  });

  route(router, { method: 'get', path: '/categories', summary: 'Categories (stable codes)', tags: ['reference'] }, async (ctx) => {
    requireRole(ctx);
    const rows = await deps.db.getRepository(Category).find({ order: { code: 'ASC' } });
    ctx.body = { items: rows.map(presentCategory), nextCursor: null };
  });
}
