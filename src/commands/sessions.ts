import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { DataSource, EntityManager, LessThan } from 'typeorm';
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
export interface ResolvedSession {
  id: string;
  account: SessionAccount;
}

/** A session lives at most this long from sign-in, however active (one working day). */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/** `lastSeenAt` is written at most this often, so that a busy page does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
/** The flash's key: from the cookie token, which the database never holds (only its SHA-256). */
const flashKey = (token: string) => createHmac('sha256', token).update('grievance/session-flash/v1').digest();

/** A one-time message from a POST to the page its redirect shows (`kind` names the page's use). */
export interface Flash {
  kind: string;
  [k: string]: unknown;
}

/**
 * Page sessions in the database (docs/decisions/pages.md), shared by every API process: the
 * cookie holds a random 256-bit token, the row its SHA-256. A session ends on sign-out (row
 * deleted), after `idleMs` without a request, `SESSION_ABSOLUTE_MS` after sign-in, and at
 * once when its account is deactivated (every resolve reads the account with the session).
 * Windows are wall-clock time (`now`, injectable for tests), not the business clock.
 */
export class SessionStore {
  constructor(
    private readonly db: DataSource,
    private readonly idleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a session for `userId`; returns the cookie token (shown to nobody else, stored hashed). */
  async create(userId: string): Promise<{ token: string; id: string }> {
    const token = randomBytes(32).toString('base64url');
    const id = hashToken(token);
    const now = new Date(this.now());
    // the user's ended sessions go when a new one starts (the sweep purges the rest)
    await this.db.getRepository(WebSession).delete({ userId, idleExpiresAt: LessThan(now) });
    await this.db.getRepository(WebSession).insert({
      id,
      userId,
      createdAt: now,
      lastSeenAt: now,
      idleExpiresAt: new Date(now.getTime() + this.idleMs),
      absoluteExpiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
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

  /**
   * Keeps `flash` for the next page of this session (Post/Redirect/Get), replacing any other:
   * sealed (AES-256-GCM) under a key derived from the cookie token, so the row alone does not
   * reveal it. False when the session is gone. `em`: in the caller's transaction (the flash
   * then commits with the change it reports).
   */
  async setFlash(token: string | undefined, flash: Flash, em?: EntityManager): Promise<boolean> {
    if (!token || token.length > 100) return false;
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', flashKey(token), iv);
    const ct = Buffer.concat([c.update(JSON.stringify(flash), 'utf8'), c.final()]);
    const sealed = Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
    const r = await (em ?? this.db.manager).getRepository(WebSession).update({ id: hashToken(token) }, { flash: sealed });
    return (r.affected ?? 0) > 0;
  }

  /**
   * The session's flash of `kind`, taken once: cleared by a conditional update, so of two
   * requests at the same moment (a reload) only one gets it. A flash of another kind stays.
   */
  async takeFlash(token: string | undefined, kind: string): Promise<Flash | null> {
    if (!token || token.length > 100) return null;
    const id = hashToken(token);
    const row = await this.db.getRepository(WebSession).findOne({ where: { id }, select: { id: true, flash: true } });
    if (!row?.flash) return null;
    let flash: Flash;
    try {
      const raw = Buffer.from(row.flash, 'base64');
      const d = createDecipheriv('aes-256-gcm', flashKey(token), raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      flash = JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as Flash;
    } catch {
      return null;
    }
    if (flash.kind !== kind) return null;
    const r = await this.db.createQueryBuilder().update(WebSession).set({ flash: null }).where('id = :id AND flash = :flash', { id, flash: row.flash }).execute();
    return (r.affected ?? 0) > 0 ? flash : null;
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
  const res = await db.createQueryBuilder().delete().from(WebSession).where('idle_expires_at <= :now OR absolute_expires_at <= :now', { now }).execute();
  return res.affected ?? 0;
}
