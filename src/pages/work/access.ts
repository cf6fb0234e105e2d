import type { Context } from 'koa';
import type { Role, UserActor } from '../../domain/lifecycle';
import type { SessionAccount } from '../../commands/sessions';
import { AppError, unauthorized } from '../../errors';
import { actorOf, pageState } from '../kit';
import { STAFF_ROLES } from './nav';

/**
 * The signed-in staff account of this request and its actor, for a workbench page open to
 * `roles` (default: every staff role). Not signed in → 401 (the error page links to sign-in);
 * signed in with another role (an owner, say) → 403 `wrong-role`. What the viewer may then
 * see or do is decided by the queries and commands, as for the API.
 */
export function requireStaff(ctx: Context, ...roles: Role[]): { account: SessionAccount; actor: UserActor } {
  const a = pageState(ctx).account;
  if (!a) throw unauthorized();
  const allowed = roles.length ? roles : STAFF_ROLES;
  if (!allowed.includes(a.role)) throw new AppError(403, 'wrong-role', `this page is for: ${allowed.join(', ')}`);
  return { account: a, actor: actorOf(ctx) as UserActor };
}
