/**
 * The admin's reference data (DESIGN §1 "departments, categories", §2 categories
 * "admin-editable"): departments and categories are added, renamed and taken out of use,
 * never deleted (their codes are stable and old tickets and reports name them). A department
 * or category out of use is not offered for new tickets or dispatch, and leaves the reports.
 */
import { randomUUID } from 'node:crypto';
import type { z } from '../zod';
import { Category, Department, RoutingRule, Ticket, User } from '../entities';
import type { AppDeps } from '../deps';
import { DISCIPLINE_DEPARTMENT, OPEN_STATES } from '../domain/lifecycle';
import { COORDINATOR_DEPARTMENT } from '../domain/accounts';
import { conflict, fieldError, notFound } from '../errors';
import { inTransaction, isDuplicateKey } from '../db';
import { invalidateReferenceData } from './reference-data';
import type { CategoryCreate, CategoryUpdate, DepartmentCreate, DepartmentUpdate } from '../schemas';

/**
 * Adds a department (kind `department`: an ordinary handling department).
 * @throws 409 `department-exists` for a taken code
 */
export async function createDepartment(deps: AppDeps, body: z.infer<typeof DepartmentCreate>): Promise<Department> {
  const d = Object.assign(new Department(), { code: body.code, nameZh: body.nameZh, nameEn: body.nameEn, kind: 'department', active: true });
  try {
    await deps.db.getRepository(Department).insert(d);
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('department-exists', `department ${body.code} exists`);
    throw e;
  }
  d.active = true;
  return d;
}

/**
 * Renames a department or takes it out of use (or back). The coordinator office (SAMR) and the
 * discipline department (DIS) stay in use (409 `essential-department`). A department is taken
 * out of use only once nothing depends on it: no open tickets, no active staff, no routing
 * rule (409 `department-in-use` with the counts, so the admin knows what to move first).
 * @throws 404 `not-found`; 409 `essential-department`, `department-in-use`
 */
export async function updateDepartment(deps: AppDeps, code: string, body: z.infer<typeof DepartmentUpdate>): Promise<Department> {
  const d = await inTransaction(deps.db, async (em) => {
    const d = await em.findOneBy(Department, { code });
    if (!d) throw notFound('department');
    if (body.active === false && d.active) {
      if (code === COORDINATOR_DEPARTMENT || code === DISCIPLINE_DEPARTMENT) throw conflict('essential-department', `${code} cannot be taken out of use`);
      const openTickets = await em
        .createQueryBuilder(Ticket, 't')
        .where('t.department_code = :code AND t.state IN (:...open)', { code, open: [...OPEN_STATES] })
        .getCount();
      const activeStaff = await em.createQueryBuilder(User, 'u').where('u.department_code = :code AND u.active = :on', { code, on: true }).getCount();
      const routingRules = await em.countBy(RoutingRule, { departmentCode: code });
      if (openTickets || activeStaff || routingRules) {
        throw conflict('department-in-use', `${code} still has ${openTickets} open tickets, ${activeStaff} active staff and ${routingRules} routing rules`, { openTickets, activeStaff, routingRules });
      }
    }
    const next = { nameZh: body.nameZh ?? d.nameZh, nameEn: body.nameEn ?? d.nameEn, active: body.active ?? !!d.active };
    await em.update(Department, { code }, next);
    return Object.assign(d, next);
  });
  invalidateReferenceData();
  return d;
}

/**
 * Adds a category; with a default department, its routing rule too (new tickets of the
 * category are dispatched there at once, DESIGN §3).
 * @throws 409 `category-exists`; 422 `defaultDepartmentCode` (`unknown`, `discipline`)
 */
export async function createCategory(deps: AppDeps, body: z.infer<typeof CategoryCreate>): Promise<Category> {
  const now = deps.clock.now();
  const c = Object.assign(new Category(), { code: body.code, nameZh: body.nameZh, nameEn: body.nameEn, defaultDepartmentCode: body.defaultDepartmentCode ?? null, active: true });
  try {
    await inTransaction(deps.db, async (em) => {
      if (c.defaultDepartmentCode) {
        const dep = await em.findOneBy(Department, { code: c.defaultDepartmentCode });
        if (!dep?.active) throw fieldError('defaultDepartmentCode', 'unknown', `unknown department ${c.defaultDepartmentCode}`);
        if (dep.code === DISCIPLINE_DEPARTMENT) throw fieldError('defaultDepartmentCode', 'discipline', 'the discipline department receives integrity reports only');
      }
      await em.insert(Category, c);
      if (c.defaultDepartmentCode) await em.insert(RoutingRule, { id: randomUUID(), categoryCode: c.code, departmentCode: c.defaultDepartmentCode, updatedAt: now });
    });
  } catch (e) {
    if (isDuplicateKey(e)) throw conflict('category-exists', `category ${body.code} exists`);
    throw e;
  }
  invalidateReferenceData();
  c.active = true;
  return c;
}

/** Renames a category or takes it out of use (new tickets cannot choose it; existing ones keep it). @throws 404 `not-found` */
export async function updateCategory(deps: AppDeps, code: string, body: z.infer<typeof CategoryUpdate>): Promise<Category> {
  const c = await inTransaction(deps.db, async (em) => {
    const c = await em.findOneBy(Category, { code });
    if (!c) throw notFound('category');
    const next = { nameZh: body.nameZh ?? c.nameZh, nameEn: body.nameEn ?? c.nameEn, active: body.active ?? !!c.active };
    await em.update(Category, { code }, next);
    return Object.assign(c, next);
  });
  invalidateReferenceData();
  return c;
}
