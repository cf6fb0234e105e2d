import { randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { z } from '../zod';
import { AccountEvent, Department, User, WebSession } from '../entities';
import { hashPassword, verifyPassword } from '../passwords';
import { asciiField, CreditCode, Email, Mobile, Password, StaffAccountInput, StaffAccountUpdateInput, line } from '../schemas';
import { AppError, conflict, fieldError, notFound } from '../errors';
import { inTransaction, isDuplicateKey, isMysql } from '../db';
import { invalidateStaffCache } from '../notifications/recipients';
import { checkVerificationCode, useVerification } from './phone-verification';
import { forgetAccounts } from '../account-cache';
import type { AppDeps } from '../deps';
import { keepOnce, type OnceKey, replayOnce } from './idempotency';
import type { UserActor } from '../domain/lifecycle';
import { accountChange, type AccountEventType, type EditableField, type Placement, placementProblem } from '../domain/accounts';

export { COORDINATOR_DEPARTMENT } from '../domain/accounts';
export { Password, StaffAccount, type StaffAccountInput } from '../schemas';

/** Who changes an account, and through which edge (recorded on every account event). */
export type AccountChanger = { via: 'api' | 'page'; actor: UserActor } | { via: 'cli' };

const changerId = (by: AccountChanger) => (by.via === 'cli' ? null : by.actor.userId);

/**
 * Appends one account event (docs/decisions/accounts.md) in the caller's transaction, which
 * holds the account's row lock (or inserted the account), so `seq` follows the changes' order.
 */
async function recordAccountEvent(em: EntityManager, by: AccountChanger, userId: string, type: AccountEventType, at: Date, payload: Record<string, unknown> | null = null): Promise<void> {
  const last = await em.createQueryBuilder(AccountEvent, 'e').select('MAX(e.seq)', 'seq').where('e.user_id = :userId', { userId }).getRawOne<{ seq: number | null }>();
  const seq = Number(last?.seq ?? 0) + 1;
  await em.insert(AccountEvent, { id: randomUUID(), userId, seq, type, actorId: changerId(by), via: by.via, at, payload } as never);
}

/** The placement rules of DESIGN §1 (`placementProblem`), and that the department exists. @throws 400/422 naming the field */
async function checkPlacement(em: EntityManager, p: Placement): Promise<void> {
  const problem = placementProblem(p);
  if (problem) throw fieldError(problem.field, problem.code, problem.message, problem.status);
  if (p.departmentCode && !(await em.findOneBy(Department, { code: p.departmentCode }))) throw fieldError('departmentCode', 'unknown', `unknown department ${p.departmentCode}`);
}

/**
 * Creates a staff account (DESIGN §1): staff other than the admin belong to an existing
 * department; supervisors to DIS, coordinators to SAMR; only handlers head a department
 * (`placementProblem`). Records a `created` event. Throws 400/422 naming `departmentCode`
 * or `isHead`, 409 `account-exists` for a taken username. Clears the cached staff lists used for mail.
 */
export async function createStaffAccount(db: DataSource, body: StaffAccountInput, now: Date, by: AccountChanger = { via: 'cli' }): Promise<User> {
  const u = Object.assign(new User(), {
    id: randomUUID(),
    username: body.username,
    passwordHash: await hashPassword(body.password),
    role: body.role,
    name: body.name,
    email: body.email ?? null,
    phone: body.phone ?? null,
    departmentCode: body.departmentCode ?? null,
    isHead: body.isHead ?? false,
    creditCode: null,
    businessName: null,
    notifyPrefs: null,
    active: true,
    mustChangePassword: false,
    sessionVersion: 0,
    createdAt: now,
  });
  try {
    // the placement as given: after an insert TypeORM may hand column defaults back raw (0 for false on MariaDB)
    const placement: Placement = { role: u.role, departmentCode: u.departmentCode, isHead: u.isHead };
    await inTransaction(db, async (em) => {
      await checkPlacement(em, placement);
      await em.insert(User, u);
      await recordAccountEvent(em, by, u.id, 'created', now, { ...placement });
    });
    u.isHead = placement.isHead;
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('account-exists', `username ${body.username} is taken`);
    throw e;
  }
  invalidateStaffCache();
  return u;
}

/** The account of `id` locked for a change. @throws 404 `not-found` */
async function lockAccount(em: EntityManager, id: string): Promise<User> {
  const u = await em.findOne(User, { where: { id }, lock: isMysql(em) ? { mode: 'pessimistic_write' } : undefined });
  if (!u) throw notFound('account');
  return u;
}
const staffOnly = (u: User) => {
  if (u.role === 'owner') throw conflict('not-staff', 'owner accounts are managed by their owners');
};
/** Refuses a change that would leave no active admin. @throws 409 `last-admin` */
async function keepAnAdmin(em: EntityManager, u: User): Promise<void> {
  const others = await em.createQueryBuilder(User, 'u').where("u.role = 'admin' AND u.active = :on AND u.id <> :id", { on: true, id: u.id }).getCount();
  if (!others) throw conflict('last-admin', 'the service needs at least one active admin');
}
/** Ends every page session of an account but `keepId`, in the transaction; returns how many. */
async function endSessions(em: EntityManager, userId: string, keepId?: string): Promise<number> {
  const qb = em.createQueryBuilder().delete().from(WebSession).where('user_id = :userId', { userId });
  if (keepId) qb.andWhere('id <> :keepId', { keepId });
  return (await qb.execute()).affected ?? 0;
}

/**
 * Changes a staff account (`PATCH /api/v1/users/:id`, the admin's page, `cli update-user`;
 * issue 10): name, email, phone, role, department, head. The placement after the change must
 * keep the rules of DESIGN §1 (`placementProblem`); the role `admin` cannot leave the last active
 * admin. Records one `updated` event naming the changed fields (placement values before and
 * after; personal fields by name only); a change that changes nothing records nothing.
 * Role and department take effect on the account's next request (pages) or within 5 s (API tokens).
 * @throws 404 `not-found`; 409 `not-staff` (an owner account), `last-admin`; 400/422 naming the field
 */
export async function updateStaffAccount(db: DataSource, by: AccountChanger, id: string, patch: StaffAccountUpdateInput, now: Date): Promise<User> {
  const updated = await inTransaction(db, async (em) => {
    const u = await lockAccount(em, id);
    staffOnly(u);
    const after: Record<EditableField, unknown> = {
      name: patch.name ?? u.name,
      email: patch.email === undefined ? u.email : patch.email,
      phone: patch.phone === undefined ? u.phone : patch.phone,
      role: patch.role ?? u.role,
      departmentCode: patch.departmentCode === undefined ? u.departmentCode : patch.departmentCode,
      isHead: patch.isHead ?? !!u.isHead,
    };
    const change = accountChange({ name: u.name, email: u.email, phone: u.phone, role: u.role, departmentCode: u.departmentCode, isHead: !!u.isHead }, after);
    if (!change) return u;
    await checkPlacement(em, after as unknown as Placement);
    if (u.role === 'admin' && after.role !== 'admin' && u.active) await keepAnAdmin(em, u);
    Object.assign(u, after);
    await em.update(User, { id }, { name: u.name, email: u.email, phone: u.phone, role: u.role, departmentCode: u.departmentCode, isHead: u.isHead });
    await recordAccountEvent(em, by, id, 'updated', now, change);
    return u;
  });
  invalidateStaffCache();
  forgetAccounts();
  return updated;
}

/**
 * Deactivates an account (issue 10): it can no longer sign in, its page sessions end at once
 * (rows deleted; every request re-reads the account anyway) and its bearer tokens stop working
 * within 5 s in every process (the version they carry is now stale, and the account inactive).
 * Records `deactivated` with the reason and the number of page sessions ended. Deactivating an
 * inactive account changes and records nothing. Owner accounts may be deactivated too.
 * @throws 404 `not-found`; 409 `own-account` (an admin cannot lock themself out), `last-admin`
 */
export async function deactivateAccount(db: DataSource, by: AccountChanger, id: string, body: { reason?: string }, now: Date): Promise<User> {
  const u = await inTransaction(db, async (em) => {
    const u = await lockAccount(em, id);
    if (by.via !== 'cli' && by.actor.userId === id) throw conflict('own-account', 'you cannot deactivate your own account');
    if (!u.active) return u;
    if (u.role === 'admin') await keepAnAdmin(em, u);
    u.active = false;
    u.sessionVersion += 1;
    await em.update(User, { id }, { active: false, sessionVersion: u.sessionVersion });
    const sessionsEnded = await endSessions(em, id);
    await recordAccountEvent(em, by, id, 'deactivated', now, { ...(body.reason ? { reason: body.reason } : {}), sessionsEnded });
    return u;
  });
  invalidateStaffCache();
  forgetAccounts();
  return u;
}

/** Reactivates an account: it can sign in again (old tokens stay invalid). Records `reactivated`; an active account changes nothing. @throws 404 `not-found` */
export async function reactivateAccount(db: DataSource, by: AccountChanger, id: string, now: Date): Promise<User> {
  const u = await inTransaction(db, async (em) => {
    const u = await lockAccount(em, id);
    if (u.active) return u;
    u.active = true;
    await em.update(User, { id }, { active: true });
    await recordAccountEvent(em, by, id, 'reactivated', now);
    return u;
  });
  invalidateStaffCache();
  forgetAccounts();
  return u;
}

/** Letters and digits that cannot be mistaken for each other when read out (no 0/O, 1/l/I). */
const READABLE = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
/** A temporary password of 12 readable characters (about 70 bits). */
export function generateTemporaryPassword(): string {
  return Array.from(randomBytes(12), (b) => READABLE[b % READABLE.length]).join('');
}

/**
 * An admin's password reset (`POST /api/v1/users/:id/password-reset`, issue 10): sets a
 * temporary password (the given one, else a generated one returned once), which the user must
 * change before doing anything else (`mustChangePassword`); ends every session of the account
 * (page sessions at once, bearer tokens within 5 s). Records `password_reset` (whether it was
 * generated, sessions ended; never the password).
 * @returns the account and, when generated, `temporaryPassword` (shown once, stored hashed)
 * @throws 404 `not-found`; 409 `not-staff` (owners reset theirs with an SMS code), `own-account` (use the change of one's own password)
 */
export async function resetPassword(
  db: DataSource,
  by: AccountChanger,
  id: string,
  body: { temporaryPassword?: string },
  now: Date,
  o: { within?: (em: EntityManager, temporaryPassword: string | undefined) => Promise<void> } = {},
): Promise<{ user: User; temporaryPassword?: string }> {
  const generated = body.temporaryPassword ? undefined : generateTemporaryPassword();
  const hash = await hashPassword(body.temporaryPassword ?? generated!);
  const user = await inTransaction(db, async (em) => {
    const u = await lockAccount(em, id);
    staffOnly(u);
    if (by.via !== 'cli' && by.actor.userId === id) throw conflict('own-account', 'change your own password instead');
    // under the account's lock, before anything changes: a second reset of the same form fails here as a duplicate key
    await o.within?.(em, generated);
    u.passwordHash = hash;
    u.mustChangePassword = true;
    u.sessionVersion += 1;
    await em.update(User, { id }, { passwordHash: hash, mustChangePassword: true, sessionVersion: u.sessionVersion });
    const sessionsEnded = await endSessions(em, id);
    await recordAccountEvent(em, by, id, 'password_reset', now, { generated: !!generated, sessionsEnded });
    return u;
  });
  forgetAccounts();
  return { user, ...(generated ? { temporaryPassword: generated } : {}) };
}

/**
 * The admin page's password reset, at most once per form (`once`: the form's key under the
 * scope `password-reset:user:<admin id>`, 24 h; `keepOnce`/`replayOnce` of
 * commands/idempotency.ts, as the symposium forms): a repeated or concurrent post of the same
 * form (a double click, a resubmitted page) resets nothing more and answers `replayed`. The
 * temporary password is never kept with the key (it is shown once, from the page's flash):
 * `within` runs in the reset's transaction after the key is taken (the page writes its flash
 * there, so a replay that sees the key also finds the flash of the reset it answers for).
 * @returns the reset as {@link resetPassword}, or `{ replayed: true }` (nothing done)
 * @throws as {@link resetPassword}; 422 `idempotency-key-reused` (the key of another account's form)
 */
export async function resetPasswordOnce(
  deps: AppDeps,
  by: AccountChanger & { via: 'page' },
  id: string,
  once: OnceKey,
  now: Date,
  within?: (em: EntityManager, temporaryPassword: string) => Promise<void>,
): Promise<{ replayed: false; temporaryPassword: string } | { replayed: true }> {
  if (await replayOnce(deps, once)) return { replayed: true };
  try {
    const r = await resetPassword(deps.db, by, id, {}, now, {
      within: async (em, temporaryPassword) => {
        await keepOnce(em, deps, now, once, id, { userId: id });
        await within?.(em, temporaryPassword!);
      },
    });
    return { replayed: false, temporaryPassword: r.temporaryPassword! };
  } catch (e) {
    if (isDuplicateKey(e) && (await replayOnce(deps, once))) return { replayed: true };
    throw e;
  }
}

/** The 6 digits of a verification code sent by SMS (issue 11). */
export const VerificationCode = asciiField(z.string().refine((v) => /^\d{6}$/.test(v), { message: 'the verification code is 6 digits', params: { reason: 'code_format' } })).openapi({
  type: 'string',
  example: '123456',
});

/**
 * Owner self-registration, `POST /api/v1/owners` and the registration page (DESIGN §13):
 * `code` proves the phone (issue 11). The API's contract (DESIGN §13) lists no code, so the
 * API takes a registration without one (the phone then unproven: docs/decisions/accounts.md
 * "Registration without a code"); the page always asks for it (a blank code is refused there).
 */
export const OwnerRegistration = z
  .object({
    phone: Mobile,
    code: VerificationCode.optional(),
    password: Password,
    name: line(100),
    creditCode: CreditCode.optional(),
    businessName: line(100).optional(),
    email: Email.optional(),
  })
  .strict();
export type OwnerRegistrationInput = z.infer<typeof OwnerRegistration>;

/** An owner's password reset by SMS code (`POST /api/v1/owners/password-reset`, the reset page; issue 11). */
export const OwnerPasswordReset = z.object({ phone: Mobile, code: VerificationCode, newPassword: Password }).strict();
export type OwnerPasswordResetInput = z.infer<typeof OwnerPasswordReset>;

/**
 * Creates an owner account whose username is the phone number (DESIGN §13), once the phone is
 * proven by the code sent to it (issue 11: `requestVerificationCode` with `register`); the code
 * is used up in the same transaction. `key`: the service secret the codes are hashed with.
 * Without `code` (the API only) the account is created with the phone unproven.
 * @throws 422 field `code` (`code_invalid`, `code_expired`, `code_locked`) — also for a number
 *   that has an account (it was sent no code), so the answer does not tell who is registered;
 *   409 `account-exists` when two registrations with valid codes race, or a registration
 *   without a code names a number that has an account
 */
export async function registerOwner(db: DataSource, key: string, body: OwnerRegistrationInput, now: Date): Promise<User> {
  // without a code (the API's contract shape): nothing to check or use up; the phone is unproven until a reset by code
  const verification = body.code === undefined ? null : await checkVerificationCode(db, key, body.phone, 'register', body.code, now);
  const u = Object.assign(new User(), {
    id: randomUUID(),
    username: body.phone,
    passwordHash: await hashPassword(body.password),
    role: 'owner',
    name: body.name,
    email: body.email ?? null,
    phone: body.phone,
    departmentCode: null,
    isHead: false,
    creditCode: body.creditCode ?? null,
    businessName: body.businessName ?? null,
    notifyPrefs: null,
    active: true,
    mustChangePassword: false,
    sessionVersion: 0,
    createdAt: now,
  });
  try {
    await inTransaction(db, async (em) => {
      if (verification) await useVerification(em, verification, now);
      await em.insert(User, u);
    });
    invalidateStaffCache();
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('account-exists', 'an account with this phone number exists');
    throw e;
  }
  return u;
}

/**
 * Sets a new password for the owner account of `phone`, proven by the code sent to it
 * (`requestVerificationCode` with `reset`), and ends every session of the account; recorded
 * as `password_changed` (payload `byCode`) by the owner themselves, through `via`.
 * @throws 422 field `code` (`code_invalid`, `code_expired`, `code_locked`) — also for a number
 *   without an account (it was sent no code): the same answer either way
 */
export async function resetOwnerPassword(db: DataSource, key: string, body: OwnerPasswordResetInput, now: Date, via: 'api' | 'page'): Promise<void> {
  const verification = await checkVerificationCode(db, key, body.phone, 'reset', body.code, now);
  const hash = await hashPassword(body.newPassword);
  await inTransaction(db, async (em) => {
    const found = await em.findOne(User, { where: { username: body.phone, role: 'owner' }, select: { id: true } });
    if (!found) throw fieldError('code', 'code_invalid', 'the verification code is wrong; check the text message or request a new code');
    await useVerification(em, verification, now);
    const locked = await lockAccount(em, found.id);
    locked.sessionVersion += 1;
    await em.update(User, { id: locked.id }, { passwordHash: hash, mustChangePassword: false, sessionVersion: locked.sessionVersion });
    const sessionsEnded = await endSessions(em, locked.id);
    const self: UserActor = { kind: 'user', userId: locked.id, role: 'owner', departmentCode: null, isHead: false };
    await recordAccountEvent(em, { via, actor: self }, locked.id, 'password_changed', now, { sessionsEnded, byCode: true });
  });
  forgetAccounts();
}

let dummyHash: Promise<string> | null = null;

/**
 * Checks a username and password (owners sign in with their phone number). Unknown users
 * cost the same argon2 work as known ones, so timing does not tell which usernames exist;
 * MariaDB's collation matches `ADMIN` and `admin ` to `admin`, so only the exact name counts.
 * The caller counts attempts first (`takeAttempt`, docs/decisions/security.md).
 * @throws AppError 401 `invalid-credentials` for a wrong username or password or a disabled account
 */
export async function checkCredentials(db: DataSource, username: string, password: string): Promise<User> {
  dummyHash ??= hashPassword(randomUUID());
  const found = await db.getRepository(User).findOneBy({ username });
  const u = found && found.username === username ? found : null;
  const ok = await verifyPassword(u ? u.passwordHash : await dummyHash, password);
  if (!u || !ok || !u.active) throw new AppError(401, 'invalid-credentials', 'wrong username or password');
  return u;
}

/**
 * Changes an account's own password after checking the current one (`PUT /api/v1/me/password`,
 * the password page; issue 10). Clears `mustChangePassword`, ends the account's other sessions
 * (page sessions but `keepSessionId`; every bearer token issued before, within 5 s: the caller
 * gets a new one) and records `password_changed`.
 * @returns the account as changed (its new `sessionVersion`, for the new token)
 * @throws AppError 422 naming `currentPassword` (code `wrong_password`) when it does not match,
 *   `newPassword` (`same_password`) when it is the current one
 */
export async function changePassword(
  db: DataSource,
  userId: string,
  currentPassword: string,
  newPassword: string,
  o: { now?: Date; keepSessionId?: string; via?: 'api' | 'page' | 'cli' } = {},
): Promise<User> {
  const u = await db.getRepository(User).findOneByOrFail({ id: userId });
  if (!(await verifyPassword(u.passwordHash, currentPassword))) throw fieldError('currentPassword', 'wrong_password', 'the current password is wrong');
  if (currentPassword === newPassword) throw fieldError('newPassword', 'same_password', 'choose a password other than the current one');
  const hash = await hashPassword(newPassword);
  const now = o.now ?? new Date();
  const changed = await inTransaction(db, async (em) => {
    const locked = await lockAccount(em, userId);
    locked.passwordHash = hash;
    locked.mustChangePassword = false;
    locked.sessionVersion += 1;
    await em.update(User, { id: userId }, { passwordHash: hash, mustChangePassword: false, sessionVersion: locked.sessionVersion });
    const sessionsEnded = await endSessions(em, userId, o.keepSessionId);
    const by: AccountChanger =
      o.via === 'cli' || !o.via ? { via: 'cli' } : { via: o.via, actor: { kind: 'user', userId, role: locked.role, departmentCode: locked.departmentCode, isHead: !!locked.isHead } };
    await recordAccountEvent(em, by, userId, 'password_changed', now, { sessionsEnded });
    return locked;
  });
  forgetAccounts();
  return changed;
}
