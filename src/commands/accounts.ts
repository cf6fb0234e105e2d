import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { z } from '../zod';
import { Department, User } from '../entities';
import { hashPassword } from '../passwords';
import { DepartmentCode, Email, Mobile, RoleE, line } from '../schemas';
import { conflict, fieldError } from '../errors';
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
