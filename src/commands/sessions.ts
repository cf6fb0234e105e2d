import { createHash, randomBytes } from 'node:crypto';
import { DataSource, LessThan } from 'typeorm';
import { User, WebSession } from '../entities';
import type { Role } from '../domain/lifecycle';

/** The account behind a page session, as the pages need it (never the password hash). */
export interface SessionAccount {
  id: string;
  username: string;
  role: Role;
  name: string;
  phone: string | null;
  departmentCode: string | null;
  isHead: boolean;
  /** an admin reset the password: nothing but the password change until it is changed (issue 10) */
  mustChangePassword: boolean;
}

/** A resolved session: its row id (SHA-256 of the cookie token) and the account, active now. */
export interface ResolvedSession { id: string; account: SessionAccount }

/** A session lives at most this long from sign-in, however active (one working day). */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/** `lastSeenAt` is written at most this often, so that a busy page does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Page sessions in the database (docs/decisions/pages.md), shared by every API process: the
 * cookie holds a random 256-bit token, the row its SHA-256. A session ends on sign-out (row
 * deleted), after `idleMs` without a request, `SESSION_ABSOLUTE_MS` after sign-in, and at
 * once when its account is deactivated (every resolve reads the account with the session).
 * Windows are wall-clock time (`now`, injectable for tests), not the business clock.
 */
export class SessionStore {
  constructor(private readonly db: DataSource, private readonly idleMs: number, private readonly now: () => number = Date.now) {}

  /** Starts a session for `userId`; returns the cookie token (shown to nobody else, stored hashed). */
  async create(userId: string): Promise<{ token: string; id: string }> {
    const token = randomBytes(32).toString('base64url');
    const id = hashToken(token);
    const now = new Date(this.now());
    // the user's ended sessions go when a new one starts (the sweep purges the rest)
    await this.db.getRepository(WebSession).delete({ userId, idleExpiresAt: LessThan(now) });
    await this.db.getRepository(WebSession).insert({
      id, userId, createdAt: now, lastSeenAt: now, idleExpiresAt: new Date(now.getTime() + this.idleMs), absoluteExpiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
    });
    return { token, id };
  }

  /**
   * The live session of a cookie token with its active account, or null (unknown, ended,
   * expired, or the account is deactivated: such a row is deleted). Extends the idle window.
   */
  async resolve(token: string | undefined): Promise<ResolvedSession | null> {
    if (!token || token.length > 100) return null;
    const id = hashToken(token);
    const s = await this.db.getRepository(WebSession).findOneBy({ id });
    if (!s) return null;
    const now = this.now();
    const u = await this.db.getRepository(User).findOneBy({ id: s.userId });
    if (!u?.active || s.idleExpiresAt.getTime() <= now || s.absoluteExpiresAt.getTime() <= now) {
      await this.db.getRepository(WebSession).delete({ id });
      return null;
    }
    if (now - s.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
      await this.db.getRepository(WebSession).update({ id }, { lastSeenAt: new Date(now), idleExpiresAt: new Date(now + this.idleMs) });
    }
    return {
      id,
      account: { id: u.id, username: u.username, role: u.role, name: u.name, phone: u.phone, departmentCode: u.departmentCode, isHead: !!u.isHead, mustChangePassword: !!u.mustChangePassword },
    };
  }

  /** Ends the session of a cookie token (sign-out). */
  async destroy(token: string | undefined): Promise<void> {
    if (token) await this.db.getRepository(WebSession).delete({ id: hashToken(token) });
  }

  /** Ends every session of an account except `keepId` (a password change signs the other browsers out). */
  async destroyAllFor(userId: string, keepId?: string): Promise<number> {
    const qb = this.db.createQueryBuilder().delete().from(WebSession).where('user_id = :userId', { userId });
    if (keepId) qb.andWhere('id <> :keepId', { keepId });
    return (await qb.execute()).affected ?? 0;
  }
}

/** Deletes sessions whose idle or absolute window has closed (sweep housekeeping); returns how many. */
export async function purgeExpiredSessions(db: DataSource, now: Date = new Date()): Promise<number> {
  const res = await db.createQueryBuilder().delete().from(WebSession)
    .where('idle_expires_at <= :now OR absolute_expires_at <= :now', { now }).execute();
  return res.affected ?? 0;
}
