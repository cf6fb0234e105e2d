import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { RoleE, Paging } from '../../schemas';
import { User } from '../../entities';
import { checkCredentials, createStaffAccount, OwnerRegistration, registerOwner, StaffAccount } from '../../commands/accounts';
import { listCategories, listDepartments } from '../../queries/reference';
import { presentUser } from '../presenters';
import { requireRole } from '../auth';
import { decodeCursor, encodeCursor } from '../../queries/cursor';
import { loginLimits, sharedAttemptStore, takeAttempt } from '../limiter';

export { LOGIN_MAX_PER_USERNAME, LOGIN_MAX_PER_ADDRESS } from '../limiter';

/** Login, owner self-registration, staff accounts, reference lists (DESIGN §13). */
export function accountRoutes(router: Router, deps: AppDeps) {
  const loginAttempts = sharedAttemptStore(deps);

  route(router, { method: 'post', path: '/auth/login', summary: 'Sign in; owners use their phone number as username', tags: ['auth'], auth: 'public',
    body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(128) }).strict() },
  async (ctx, { body }) => {
    // Counted before argon2 (≈19 MiB, ≈10 ms a try), so that a flood of guesses, even
    // concurrent, is refused cheaply (docs/decisions/security.md).
    const limit = loginLimits(body.username, ctx.ip);
    await takeAttempt(ctx, loginAttempts, limit.limits, 'too many failed sign-ins; try again later');
    const u = await checkCredentials(deps.db, body.username, body.password);
    await limit.onSuccess(loginAttempts);
    ctx.body = { token: await deps.tokens.issue(u, deps.clock.now()), user: presentUser(u) };
  });

  route(router, { method: 'post', path: '/owners', summary: 'Owner self-registration', tags: ['auth'], auth: 'public', status: 201,
    body: OwnerRegistration },
  async (ctx, { body }) => {
    const u = await registerOwner(deps.db, body, deps.clock.now());
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
    ctx.body = { items: await listDepartments(deps.db.manager), nextCursor: null };
  });

  route(router, { method: 'get', path: '/categories', summary: 'Categories (stable codes)', tags: ['reference'] }, async (ctx) => {
    requireRole(ctx);
    ctx.body = { items: await listCategories(deps.db.manager), nextCursor: null };
  });
}
