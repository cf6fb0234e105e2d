import type { SessionAccount } from '../../commands/sessions';
import { navFor, ROLE_LABEL } from './nav';

/**
 * What workbench templates may call as `it.h.work.…`: the menu of the signed-in account and
 * how its role is named in the header.
 */
export function workHelpers(_tz: string) {
  return {
    nav: navFor,
    roleLabel: (a: SessionAccount) => `${ROLE_LABEL[a.role]}${a.role === 'handler' && a.isHead ? '（负责人）' : ''}${a.departmentCode ? ` · ${a.departmentCode}` : ''}`,
  };
}
