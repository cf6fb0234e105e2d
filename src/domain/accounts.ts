/**
 * The rules of staff accounts (DESIGN §1), pure: where each role belongs, and what an account
 * change is recorded as. The commands (src/commands/accounts.ts) apply them for the API, the
 * pages and the CLI alike.
 */
import { DISCIPLINE_DEPARTMENT, type Role } from './lifecycle';

/** The coordinator office (DESIGN §1: the dispatch office is the district market regulation bureau). */
export const COORDINATOR_DEPARTMENT = 'SAMR';

/** Where a staff account sits: its role, its department (none only for the admin), whether it heads the department. */
export interface Placement {
  role: Role;
  departmentCode: string | null;
  isHead: boolean;
}

/** A broken placement rule: the field to name and its stable code. */
export interface PlacementProblem {
  field: 'departmentCode' | 'isHead' | 'role';
  code: string;
  message: string;
  status: 400 | 422;
}

/**
 * The first rule a placement breaks, or null (DESIGN §1): owners are not staff; staff other
 * than the admin belong to a department; supervisors to DIS (纪检监察), coordinators to SAMR
 * (the dispatch office); only a department's handler can be its head (`isHead`: the lead who
 * gets its reminders and reads its overview, DESIGN §5, §7).
 */
export function placementProblem(p: Placement): PlacementProblem | null {
  if (p.role === 'owner') return { field: 'role', code: 'not_staff', message: 'owner accounts are not staff accounts', status: 422 };
  if (p.role !== 'admin' && !p.departmentCode) return { field: 'departmentCode', code: 'required', message: 'staff belong to a department', status: 400 };
  if (p.role === 'supervisor' && p.departmentCode !== DISCIPLINE_DEPARTMENT)
    return { field: 'departmentCode', code: 'supervisor_dis', message: 'supervisors belong to the discipline department (DIS)', status: 422 };
  if (p.role === 'coordinator' && p.departmentCode !== COORDINATOR_DEPARTMENT)
    return { field: 'departmentCode', code: 'coordinator_samr', message: 'the coordinator office is SAMR (区市场监管局)', status: 422 };
  if (p.isHead && p.role !== 'handler') return { field: 'isHead', code: 'head_handler', message: 'only a handler can head a department', status: 422 };
  return null;
}

/**
 * What an account change is recorded as (one `account_event` row each, written in the same
 * transaction as the change, docs/decisions/accounts.md). Payloads carry no personal data:
 * the placement fields (role, department, head) with their old and new values, and only the
 * names of the personal fields that changed (name, email, phone).
 */
export const ACCOUNT_EVENT_TYPES = ['created', 'updated', 'deactivated', 'reactivated', 'password_reset', 'password_changed'] as const;
export type AccountEventType = (typeof ACCOUNT_EVENT_TYPES)[number];

/** The fields an admin edits on a staff account (`PATCH /users/:id`). */
export const EDITABLE_FIELDS = ['name', 'email', 'phone', 'role', 'departmentCode', 'isHead'] as const;
export type EditableField = (typeof EDITABLE_FIELDS)[number];
/** Fields whose values are personal data: an event names them, never their values. */
const PERSONAL: readonly EditableField[] = ['name', 'email', 'phone'];

/**
 * The `updated` event's payload for a change from `before` to `after`, or null when nothing
 * changed: `{ changed: [field…], from: {placement field: old}, to: {placement field: new} }`.
 */
export function accountChange(
  before: Record<EditableField, unknown>,
  after: Record<EditableField, unknown>,
): { changed: EditableField[]; from: Record<string, unknown>; to: Record<string, unknown> } | null {
  const changed = EDITABLE_FIELDS.filter((f) => (before[f] ?? null) !== (after[f] ?? null));
  if (!changed.length) return null;
  const placement = changed.filter((f) => !PERSONAL.includes(f));
  return {
    changed,
    from: Object.fromEntries(placement.map((f) => [f, before[f] ?? null])),
    to: Object.fromEntries(placement.map((f) => [f, after[f] ?? null])),
  };
}
