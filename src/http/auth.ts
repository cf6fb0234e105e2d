import type { Context, Next } from 'koa';
import { createSecretKey, KeyObject } from 'node:crypto';
import { DataSource } from 'typeorm';
import { User } from '../entities';
import type { Actor, Role } from '../domain/lifecycle';
import { forbidden, unauthorized } from '../errors';

// jose is ESM-only; a dynamic import loads it from this CommonJS build.
const jose = import('jose');

/** Bearer tokens: HS256 JWTs signed with `JWT_SECRET`, expiring after `TOKEN_TTL_HOURS`. */
export class TokenService {
  private readonly key: KeyObject;
  /** `now` is the service clock, so that tokens follow the test clock too */
  constructor(secret: string, private readonly ttlHours: number, private readonly now: () => Date = () => new Date()) {
    // Imported once: jose would otherwise import the raw bytes on every verification.
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }
  async issue(user: Pick<User, 'id' | 'role'>, now: Date): Promise<string> {
    const { SignJWT } = await jose;
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({ role: user.role }).setProtectedHeader({ alg: 'HS256' }).setSubject(user.id)
      .setIssuedAt(iat).setExpirationTime(iat + Math.round(this.ttlHours * 3600)).sign(this.key);
  }
  /** the user id of a valid token, else null */
  async verify(token: string): Promise<string | null> {
    const { jwtVerify } = await jose;
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], currentDate: this.now() });
      return typeof payload.sub === 'string' ? payload.sub : null;
    } catch {
      return null;
    }
  }
}

/**
 * Resolves the caller: a valid bearer token → the user as stored now (role and department
 * are read from the database, cached 5 s, so a moved or disabled account loses access);
 * no token → anonymous; a bad token → 401.
 */
export function authenticate(ds: DataSource, tokens: TokenService) {
  const cache = new Map<string, { user: User | null; at: number }>();
  return async (ctx: Context, next: Next) => {
    const h = ctx.get('authorization');
    ctx.state.actor = { kind: 'anonymous' } satisfies Actor;
    if (h) {
      const m = /^Bearer\s+(\S+)$/i.exec(h);
      const id = m ? await tokens.verify(m[1]) : null;
      if (!id) throw unauthorized('the bearer token is invalid or expired');
      let hit = cache.get(id);
      if (!hit || Date.now() - hit.at > 5000) {
        hit = { user: await ds.getRepository(User).findOneBy({ id }), at: Date.now() };
        cache.set(id, hit);
        if (cache.size > 10_000) cache.clear();
      }
      const u = hit.user;
      if (!u || !u.active) throw unauthorized('the account is disabled');
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
