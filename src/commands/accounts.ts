import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from '../zod';
import { Department, User } from '../entities';
import { hashPassword, verifyPassword } from '../passwords';
import { CreditCode, DepartmentCode, Email, Mobile, RoleE, line } from '../schemas';
import { AppError, conflict, fieldError } from '../errors';
import { inTransaction, isDuplicateKey } from '../db';
import { invalidateStaffCache } from '../notifications/recipients';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';

/** The coordinator office (DESIGN §1: the dispatch office is the district market regulation bureau). */
export const COORDINATOR_DEPARTMENT = 'SAMR';

/** A staff account as `POST /api/v1/users` and `cli create-user` take it (DESIGN §13). */
export const StaffAccount = z.object({
  username: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/, '3-64 letters, digits, dot, dash or underscore'),
  password: z.string().min(8, 'at least 8 characters').max(128, 'at most 128 characters'),
  name: line(100),
  email: Email.optional(),
  phone: Mobile.optional(),
  role: RoleE.exclude(['owner']),
  departmentCode: DepartmentCode.optional(),
  isHead: z.boolean().optional(),
}).strict();
export type StaffAccountInput = z.infer<typeof StaffAccount>;

/**
 * Creates a staff account (DESIGN §1): staff other than the admin belong to an existing
 * department; supervisors to DIS, coordinators to SAMR. Throws 400/422 naming
 * `departmentCode`, 409 `account-exists` for a taken username. Clears the cached staff
 * lists used for mail.
 */
export async function createStaffAccount(db: DataSource, body: StaffAccountInput, now: Date): Promise<User> {
  if (body.role !== 'admin' && !body.departmentCode) throw fieldError('departmentCode', 'required', 'staff belong to a department', 400);
  if (body.departmentCode && !(await db.getRepository(Department).findOneBy({ code: body.departmentCode }))) throw fieldError('departmentCode', 'unknown', `unknown department ${body.departmentCode}`);
  if (body.role === 'supervisor' && body.departmentCode !== DISCIPLINE_DEPARTMENT) throw fieldError('departmentCode', 'supervisor_dis', 'supervisors belong to the discipline department (DIS)');
  if (body.role === 'coordinator' && body.departmentCode !== COORDINATOR_DEPARTMENT) throw fieldError('departmentCode', 'coordinator_samr', 'the coordinator office is SAMR (区市场监管局)');
  const u = Object.assign(new User(), {
    id: randomUUID(), username: body.username, passwordHash: await hashPassword(body.password), role: body.role, name: body.name, email: body.email ?? null,
    phone: body.phone ?? null, departmentCode: body.departmentCode ?? null, isHead: body.isHead ?? false, creditCode: null, businessName: null,
    notifyPrefs: null, active: true, createdAt: now,
  });
  try {
    await inTransaction(db, (em) => em.insert(User, u));
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('account-exists', `username ${body.username} is taken`);
    throw e;
  }
  invalidateStaffCache();
  return u;
}

/** A password as every account takes it: 8–128 characters. */
export const Password = z.string().min(8, 'at least 8 characters').max(128, 'at most 128 characters');

/** Owner self-registration, `POST /api/v1/owners` and the registration page (DESIGN §13). */
export const OwnerRegistration = z.object({
  phone: Mobile, password: Password, name: line(100), creditCode: CreditCode.optional(), businessName: line(100).optional(), email: Email.optional(),
}).strict();
export type OwnerRegistrationInput = z.infer<typeof OwnerRegistration>;

/**
 * Creates an owner account whose username is the phone number (DESIGN §13). Throws 409
 * `account-exists` for a number that has one.
 * Hook for the SMS code (issue 11): proving the phone by a one-time code belongs here,
 * before the insert, so that the API and the page get it together.
 */
export async function registerOwner(db: DataSource, body: OwnerRegistrationInput, now: Date): Promise<User> {
  const u = Object.assign(new User(), {
    id: randomUUID(), username: body.phone, passwordHash: await hashPassword(body.password), role: 'owner', name: body.name, email: body.email ?? null,
    phone: body.phone, departmentCode: null, isHead: false, creditCode: body.creditCode ?? null, businessName: body.businessName ?? null,
    notifyPrefs: null, active: true, createdAt: now,
  });
  try {
    await db.getRepository(User).insert(u);
    invalidateStaffCache();
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('account-exists', 'an account with this phone number exists');
    throw e;
  }
  return u;
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
 * Changes an account's password after checking the current one.
 * @throws AppError 422 naming `currentPassword` (code `wrong_password`) when it does not match
 */
export async function changePassword(db: DataSource, userId: string, currentPassword: string, newPassword: string): Promise<void> {
  const u = await db.getRepository(User).findOneByOrFail({ id: userId });
  if (!(await verifyPassword(u.passwordHash, currentPassword))) throw fieldError('currentPassword', 'wrong_password', 'the current password is wrong');
  await db.getRepository(User).update({ id: userId }, { passwordHash: await hashPassword(newPassword) });
}
