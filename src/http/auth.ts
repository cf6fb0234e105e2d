import type { Context, Next } from 'koa';
import { DataSource } from 'typeorm';
import { User } from '../entities';
import type { Actor, Role } from '../domain/lifecycle';
import { forbidden, unauthorized } from '../errors';
import { ttlCache } from '../cache';
import type { TokenService } from '../tokens';

/**
 * Resolves the caller: a valid bearer token → the user as stored now (role and department
 * are read from the database, cached 5 s, so a moved or disabled account loses access);
 * no token → anonymous; a bad token → 401.
 */
export function authenticate(ds: DataSource, tokens: TokenService) {
  // Accounts as stored now, 5 s per process: a moved or disabled account loses access within seconds.
  const accounts = ttlCache<string, User | null, null>(5000, (id) => ds.getRepository(User).findOneBy({ id }), 10_000);
  return async (ctx: Context, next: Next) => {
    const h = ctx.get('authorization');
    ctx.state.actor = { kind: 'anonymous' } satisfies Actor;
    if (h) {
      const m = /^Bearer\s+(\S+)$/i.exec(h);
      const id = m ? await tokens.verify(m[1]) : null;
      if (!id) throw unauthorized('the bearer token is invalid or expired');
      const u = await accounts.get(id, null);
      if (!u?.active) throw unauthorized('the account is disabled');
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
