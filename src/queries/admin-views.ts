/**
 * What the admin's workbench pages read (issue 10 "Admin"), each page one call: the accounts
 * with the departments to place them in, one account with its recorded history, the
 * reference data, the routing rules with what they refer to. Accounts and configuration are
 * read by the admin only (the pages check the role, as the API routes do).
 */
import type { AppDeps } from '../deps';
import type { AccountEvent, RoutingRule, SlaPolicy, User } from '../entities';
import { accountHistory, AccountFilter, getAccount, listAccounts } from './accounts';
import { CategoryRow, DepartmentRow, listCategories, listDepartments } from './reference';
import { listRoutingRules, listSlaPolicies } from '../commands/configuration';

/** The account list (newest first, filtered) and every department (names, pickers). */
export async function accountsAdminView(deps: AppDeps, f: AccountFilter): Promise<{ items: User[]; nextCursor: string | null; departments: DepartmentRow[] }> {
  const page = await listAccounts(deps.db, f);
  return { ...page, departments: await listDepartments(deps.db.manager) };
}

/** One account, what was recorded about it (newest first), and every department. @throws 404 `not-found` */
export async function accountAdminView(deps: AppDeps, id: string): Promise<{ user: User; events: AccountEvent[]; departments: DepartmentRow[] }> {
  const user = await getAccount(deps.db, id);
  return { user, events: await accountHistory(deps.db, id), departments: await listDepartments(deps.db.manager) };
}

/** Departments and categories, by code (the reference-data page). */
export async function referenceAdminView(deps: AppDeps): Promise<{ departments: DepartmentRow[]; categories: CategoryRow[] }> {
  return { departments: await listDepartments(deps.db.manager), categories: await listCategories(deps.db.manager) };
}

/** The routing rules with the categories and departments they may name (the routing page). */
export async function routingAdminView(deps: AppDeps): Promise<{ rules: RoutingRule[]; departments: DepartmentRow[]; categories: CategoryRow[] }> {
  return { rules: await listRoutingRules(deps), ...(await referenceAdminView(deps)) };
}

/** The SLA policies, by kind and priority (the SLA page). */
export function slaAdminView(deps: AppDeps): Promise<SlaPolicy[]> {
  return listSlaPolicies(deps);
}
