import Router from '@koa/router';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { AccountSearchText, filter, LoginName, Mobile, RoleE, Paging, StaffAccount, StaffAccountUpdate, AccountDeactivation, PasswordReset, PasswordChange, Uuid, DepartmentCode } from '../../schemas';
import {
  changePassword,
  checkCredentials,
  createStaffAccount,
  deactivateAccount,
  OwnerPasswordReset,
  OwnerRegistration,
  reactivateAccount,
  registerOwner,
  resetOwnerPassword,
  resetPassword,
  updateStaffAccount,
} from '../../commands/accounts';
import { CODE_TTL_MS, requestVerificationCode } from '../../commands/phone-verification';
import { accountHistory, getAccount, listAccounts } from '../../queries/accounts';
import { listCategories, listDepartments } from '../../queries/reference';
import { createCategory, createDepartment, updateCategory, updateDepartment } from '../../commands/reference-admin';
import { CategoryCode, CategoryCreate, CategoryUpdate, DepartmentCreate, DepartmentUpdate } from '../../schemas';
import { presentCategory, presentDepartment } from '../presenters';
import { presentAccountEvent, presentUser } from '../presenters';
import { codeLimits, loginLimits, ownerFormLimit, sharedAttemptStore, takeAttempt } from '../limiter';

const UserId = z.object({ id: Uuid });
/** The account the bearer authentication loaded for this request (`ctx.state.user`). */
type SignedIn = Parameters<typeof presentUser>[0];

export { LOGIN_MAX_PER_USERNAME, LOGIN_MAX_PER_ADDRESS } from '../limiter';

/** Login, owner self-registration, staff accounts, reference lists (DESIGN §13). */
export function accountRoutes(router: Router, deps: AppDeps) {
  const loginAttempts = sharedAttemptStore(deps);

  route(
    router,
    {
      method: 'post',
      path: '/auth/login',
      summary: 'Sign in; owners use their phone number as username',
      tags: ['auth'],
      auth: 'public',
      body: z.object({ username: LoginName, password: z.string().min(1).max(128) }).strict(),
    },
    async (ctx, { body }) => {
      // Counted before argon2 (≈19 MiB, ≈10 ms a try), so that a flood of guesses, even
      // concurrent, is refused cheaply (docs/decisions/security.md).
      const limit = loginLimits(body.username, ctx.ip);
      await takeAttempt(ctx, loginAttempts, limit.limits, 'too many failed sign-ins; try again later');
      const u = await checkCredentials(deps.db, body.username, body.password);
      await limit.onSuccess(loginAttempts);
      ctx.body = { token: await deps.tokens.issue(u, deps.clock.now()), user: presentUser(u) };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/owners/verification-codes',
      summary: 'Send a 6-digit code by SMS to prove a phone for owner registration or password reset (valid 5 minutes, 5 tries); the same answer whether or not the number has an account',
      tags: ['auth'],
      auth: 'public',
      status: 202,
      body: z.object({ phone: Mobile, purpose: z.enum(['register', 'reset']) }).strict(),
      response: z.object({ expiresInSeconds: z.number().int().openapi({ description: 'the code is valid this long' }) }),
    },
    async (ctx, { body }) => {
      await takeAttempt(ctx, loginAttempts, codeLimits(body.phone, ctx.ip, deps.config.smsCodeMaxPerClient), 'too many verification codes requested; try again later');
      await requestVerificationCode(deps.db, deps.config.jwtSecret, body.phone, body.purpose, deps.clock.now());
      ctx.status = 202;
      ctx.body = { expiresInSeconds: CODE_TTL_MS / 1000 };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/owners',
      summary: 'Owner self-registration with the code sent to the phone (`POST /owners/verification-codes`, purpose register)',
      tags: ['auth'],
      auth: 'public',
      status: 201,
      body: OwnerRegistration,
    },
    async (ctx, { body }) => {
      const limit = ownerFormLimit(ctx.ip);
      await takeAttempt(ctx, loginAttempts, [limit], 'too many registration attempts; try again later');
      const u = await registerOwner(deps.db, deps.config.jwtSecret, body, deps.clock.now());
      // a registration proven by a code is given back; one without a code (the phone unproven) counts, so
      // one client cannot claim numbers in bulk (found by a tester: 40 in a few seconds)
      if (body.code !== undefined) await loginAttempts.refund([limit.key]);
      ctx.status = 201;
      ctx.body = presentUser(u);
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/owners/password-reset',
      summary: 'Set a new owner password with the code sent to the phone (purpose reset); every session of the account ends',
      tags: ['auth'],
      auth: 'public',
      body: OwnerPasswordReset,
      response: z.object({ reset: z.literal(true) }),
    },
    async (ctx, { body }) => {
      const limit = ownerFormLimit(ctx.ip);
      await takeAttempt(ctx, loginAttempts, [limit], 'too many password-reset attempts; try again later');
      await resetOwnerPassword(deps.db, deps.config.jwtSecret, body, deps.clock.now(), 'api');
      await loginAttempts.refund([limit.key]);
      ctx.body = { reset: true };
    },
  );

  route(
    router,
    { method: 'post', path: '/users', roles: ['admin'] as const, summary: 'Create a staff account (admin); recorded as `created`', tags: ['users'], status: 201, body: StaffAccount },
    async (ctx, { body, actor }) => {
      ctx.status = 201;
      ctx.body = presentUser(await createStaffAccount(deps.db, body, deps.clock.now(), { via: 'api', actor }));
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/users',
      roles: ['admin'] as const,
      summary: 'List accounts (admin), newest first; `q` searches username and name',
      tags: ['users'],
      query: z.object({ role: filter(RoleE), departmentCode: filter(DepartmentCode), active: filter(z.enum(['true', 'false'])), q: filter(AccountSearchText), ...Paging }).strict(),
    },
    async (ctx, { query }) => {
      const page = await listAccounts(deps.db, { ...query, active: query.active === undefined ? undefined : query.active === 'true' });
      ctx.body = { items: page.items.map(presentUser), nextCursor: page.nextCursor };
    },
  );

  route(router, { method: 'get', path: '/users/:id', roles: ['admin'] as const, summary: 'One account (admin)', tags: ['users'], params: UserId }, async (ctx, { params }) => {
    ctx.body = presentUser(await getAccount(deps.db, params.id));
  });

  route(
    router,
    { method: 'get', path: '/users/:id/events', roles: ['admin'] as const, summary: 'What was recorded about an account, newest first (admin)', tags: ['users'], params: UserId },
    async (ctx, { params }) => {
      ctx.body = { items: (await accountHistory(deps.db, params.id)).map(presentAccountEvent), nextCursor: null };
    },
  );

  route(
    router,
    {
      method: 'patch',
      path: '/users/:id',
      roles: ['admin'] as const,
      summary: 'Change a staff account: name, email, phone, role, department, head (admin); recorded as `updated`',
      tags: ['users'],
      params: UserId,
      body: StaffAccountUpdate,
    },
    async (ctx, { params, body, actor }) => {
      ctx.body = presentUser(await updateStaffAccount(deps.db, { via: 'api', actor }, params.id, body, deps.clock.now()));
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/users/:id/deactivate',
      roles: ['admin'] as const,
      summary: 'Deactivate an account: it cannot sign in, and every session of it ends within seconds (admin)',
      tags: ['users'],
      params: UserId,
      body: AccountDeactivation,
    },
    async (ctx, { params, body, actor }) => {
      ctx.body = presentUser(await deactivateAccount(deps.db, { via: 'api', actor }, params.id, body, deps.clock.now()));
    },
  );

  route(
    router,
    { method: 'post', path: '/users/:id/reactivate', roles: ['admin'] as const, summary: 'Reactivate an account (admin)', tags: ['users'], params: UserId },
    async (ctx, { params, actor }) => {
      ctx.body = presentUser(await reactivateAccount(deps.db, { via: 'api', actor }, params.id, deps.clock.now()));
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/users/:id/password-reset',
      roles: ['admin'] as const,
      summary: "Set a temporary password the user must change (admin); without one a generated password is returned once; ends the account's sessions",
      tags: ['users'],
      params: UserId,
      body: PasswordReset,
    },
    async (ctx, { params, body, actor }) => {
      const r = await resetPassword(deps.db, { via: 'api', actor }, params.id, body, deps.clock.now());
      ctx.body = { user: presentUser(r.user), ...(r.temporaryPassword ? { temporaryPassword: r.temporaryPassword } : {}) };
    },
  );

  route(router, { method: 'get', path: '/me', summary: 'The signed-in account', tags: ['auth'] }, async (ctx) => {
    ctx.body = presentUser(ctx.state.user as SignedIn);
  });

  route(
    router,
    { method: 'put', path: '/me/password', summary: "Change one's own password; every other session ends, and the response carries a new token", tags: ['auth'], body: PasswordChange },
    async (ctx, { body, actor }) => {
      const me = ctx.state.user as SignedIn;
      // wrong current passwords count against the same limits as sign-in (a stolen token must not become a password)
      const limit = loginLimits(me.username, ctx.ip);
      await takeAttempt(ctx, loginAttempts, limit.limits, 'too many failed attempts; try again later');
      const u = await changePassword(deps.db, actor.userId, body.currentPassword, body.newPassword, { now: deps.clock.now(), via: 'api' });
      await limit.onSuccess(loginAttempts);
      ctx.body = { token: await deps.tokens.issue(u, deps.clock.now()), user: presentUser(u) };
    },
  );

  route(router, { method: 'get', path: '/departments', summary: 'Departments (stable codes)', tags: ['reference'] }, async (ctx) => {
    ctx.body = { items: await listDepartments(deps.db.manager), nextCursor: null };
  });

  route(router, { method: 'get', path: '/categories', summary: 'Categories (stable codes)', tags: ['reference'] }, async (ctx) => {
    ctx.body = { items: await listCategories(deps.db.manager), nextCursor: null };
  });

  route(
    router,
    { method: 'post', path: '/departments', roles: ['admin'] as const, summary: 'Add a department (admin)', tags: ['reference'], status: 201, body: DepartmentCreate },
    async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = presentDepartment(await createDepartment(deps, body));
    },
  );

  route(
    router,
    {
      method: 'patch',
      path: '/departments/:code',
      roles: ['admin'] as const,
      summary: 'Rename a department or take it out of use (admin); one with open tickets, active staff or routing rules stays in use',
      tags: ['reference'],
      params: z.object({ code: DepartmentCode }),
      body: DepartmentUpdate,
    },
    async (ctx, { params, body }) => {
      ctx.body = presentDepartment(await updateDepartment(deps, params.code, body));
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/categories',
      roles: ['admin'] as const,
      summary: 'Add a category; its default department becomes its routing rule (admin)',
      tags: ['reference'],
      status: 201,
      body: CategoryCreate,
    },
    async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = presentCategory(await createCategory(deps, body));
    },
  );

  route(
    router,
    {
      method: 'patch',
      path: '/categories/:code',
      roles: ['admin'] as const,
      summary: 'Rename a category or take it out of use (admin)',
      tags: ['reference'],
      params: z.object({ code: CategoryCode }),
      body: CategoryUpdate,
    },
    async (ctx, { params, body }) => {
      ctx.body = presentCategory(await updateCategory(deps, params.code, body));
    },
  );
}
