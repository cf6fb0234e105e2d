import type { Context, Next } from 'koa';
import type { DataSource } from 'typeorm';
import type { Actor, Role } from '../domain/lifecycle';
import { AppError, forbidden, unauthorized } from '../errors';
import { cachedAccount, storedAccount } from '../account-cache';
import type { TokenService } from '../tokens';

/** What an account that must change its password may still call (issue 10): its own account and the change. */
const WHILE_PASSWORD_CHANGE_REQUIRED = new Set(['GET /api/v1/me', 'PUT /api/v1/me/password']);

/**
 * Resolves the caller: a valid bearer token → the user as stored now (role and department
 * are read from the database, cached 5 s, so a moved or disabled account loses access);
 * no token → anonymous; a bad token, a disabled account or a token older than the account's
 * session version (password reset or changed, deactivated) → 401. An account whose password
 * an admin reset gets 403 `password-change-required` on everything but `GET /me` and
 * `PUT /me/password`.
 */
export function authenticate(ds: DataSource, tokens: TokenService) {
  return async (ctx: Context, next: Next) => {
    const h = ctx.get('authorization');
    ctx.state.actor = { kind: 'anonymous' } satisfies Actor;
    if (h) {
      const m = /^Bearer\s+(\S+)$/i.exec(h);
      const claims = m ? await tokens.verify(m[1]) : null;
      if (!claims) throw unauthorized('the bearer token is invalid or expired');
      let u = await cachedAccount(ds, claims.userId);
      // A token newer than the cached account means the cache is behind (a password change
      // since): read the account as stored now. Only an older token has been ended.
      if (u && claims.version > (u.sessionVersion ?? 0)) u = await storedAccount(ds, claims.userId);
      if (!u?.active) throw unauthorized('the account is disabled');
      if (claims.version < (u.sessionVersion ?? 0)) throw unauthorized('the session has ended (password changed or reset); sign in again');
      if (u.mustChangePassword && !WHILE_PASSWORD_CHANGE_REQUIRED.has(`${ctx.method} ${ctx.path}`)) {
        throw new AppError(403, 'password-change-required', 'change the temporary password first (PUT /api/v1/me/password)');
      }
      ctx.state.user = u;
      ctx.state.actor = { kind: 'user', userId: u.id, role: u.role, departmentCode: u.departmentCode, isHead: u.isHead } satisfies Actor;
    }
    await next();
  };
}

/** Requires a signed-in user with one of `roles` (any role when empty): 401 / 403. */
export function requireRole(ctx: Context, ...roles: Role[]): Extract<Actor, { kind: 'user' }> {
  const a = ctx.state.actor as Actor;
  if (a.kind !== 'user') throw unauthorized();
  if (roles.length && !roles.includes(a.role)) throw forbidden(`this needs one of the roles: ${roles.join(', ')}`);
  return a;
}
