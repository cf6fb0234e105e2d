/**
 * The workbench's navigation (issue 10): one table of every staff page with the roles that
 * reach it, in menu order. A new workbench area adds its rows here (docs/pages.md
 * "Adding a workbench page"); the layout shows a viewer the rows of their role.
 */
import type { Role } from '../../domain/lifecycle';
import type { SessionAccount } from '../../commands/sessions';

export interface NavItem {
  href: string;
  label: string;
  roles: readonly Role[];
  /** only department heads (handlers with `isHead`) */
  headOnly?: boolean;
  /** the paths that light this entry up (default: `href` and below it) */
  match?: RegExp;
}

/** The staff roles: everyone but owners. */
export const STAFF_ROLES: readonly Role[] = ['intake', 'handler', 'coordinator', 'supervisor', 'admin'];

export const WORK_NAV: NavItem[] = [
  { href: '/work', label: '待办', roles: ['handler'], match: /^\/work$/ },
  { href: '/work', label: '派单', roles: ['coordinator'], match: /^\/work$/ },
  { href: '/work/call', label: '登记来电', roles: ['intake'] },
  { href: '/work/callbacks', label: '回访', roles: ['intake'] },
  { href: '/work/tickets', label: '工单', roles: ['intake', 'handler', 'coordinator', 'supervisor', 'admin'] },
  { href: '/work/department', label: '本部门概况', roles: ['handler'], headOnly: true },
  { href: '/work/oversight', label: '督办单', roles: ['handler', 'coordinator', 'supervisor'] },
  { href: '/work/notices', label: '公示', roles: ['coordinator'] },
  { href: '/work/symposiums', label: '座谈会', roles: ['intake', 'coordinator', 'supervisor'] },
  { href: '/work/integrity', label: '举报', roles: ['supervisor'] },
  { href: '/work/vetoes', label: '一票否决', roles: ['supervisor'] },
  { href: '/work/assessments', label: '考核', roles: ['supervisor'] },
  { href: '/work/admin/users', label: '用户', roles: ['admin'] },
  { href: '/work/admin/reference', label: '部门和类别', roles: ['admin'] },
  { href: '/work/admin/routing', label: '分派规则', roles: ['admin'] },
  { href: '/work/admin/sla', label: '办理时限', roles: ['admin'] },
  { href: '/work/admin/calendar', label: '工作日历', roles: ['admin'] },
  { href: '/work/admin/outbox', label: '通知发送', roles: ['admin'] },
  { href: '/work/reports', label: '统计报表', roles: ['coordinator', 'supervisor', 'admin'] },
  { href: '/work/reports', label: '统计报表', roles: ['handler'], headOnly: true },
];

/** A role as staff call it. */
export const ROLE_LABEL: Record<Role, string> = {
  owner: '经营户',
  intake: '热线受理',
  handler: '部门经办',
  coordinator: '协调派单',
  supervisor: '纪检监察',
  admin: '系统管理',
};

/** The menu of `account` with the entry of `path` marked current. */
export function navFor(account: SessionAccount | null, path: string): { href: string; label: string; current: boolean }[] {
  if (!account) return [];
  let marked = false;
  return WORK_NAV.filter((n) => n.roles.includes(account.role) && (!n.headOnly || account.isHead)).map((n) => {
    const hit = !marked && (n.match ? n.match.test(path) : path === n.href || path.startsWith(`${n.href}/`));
    if (hit) marked = true;
    return { href: n.href, label: n.label, current: hit };
  });
}
