import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import {
  AccountDeactivation,
  CategoryCode,
  CategoryCreate,
  DepartmentCode,
  DepartmentCreate,
  IsoDate,
  Kind,
  line,
  PriorityE,
  RoleE,
  StaffAccount,
  StaffAccountUpdate,
  Uuid,
  YearParam,
  AccountSearchText,
} from '../../schemas';
import { createStaffAccount, deactivateAccount, reactivateAccount, resetPasswordOnce, updateStaffAccount } from '../../commands/accounts';
import { createCategory, createDepartment, updateCategory, updateDepartment } from '../../commands/reference-admin';
import { calendarYear, loadOfficialYear, overrideCalendarDay, replaceRoutingRules, setSlaPolicies } from '../../commands/configuration';
import { forwardHeldReport, listOutbox, retryOutboxMessage } from '../../commands/outbox';
import { accountAdminView, accountsAdminView, referenceAdminView, routingAdminView, slaAdminView } from '../../queries/admin-views';
import { presentAccountEvent, presentOutbox, presentPolicy, presentUser } from '../../http/presenters';
import { AppError } from '../../errors';
import { badCursor } from '../../queries/cursor';
import * as L from '../../notifications/labels';
import { emptyForm, type FormView } from '../render';
import { formFromAppError, formWithErrors, opt, readForm, zodErrors } from '../forms';
import { problemMessage } from '../messages';
import { ROLE_LABEL } from './nav';
import { checkFormKey, issueFormKey, setFlash, takeFlash } from '../session';
import { yearGrid } from './calendar-view';
import { businessYear, givenQuery, pageYear, redirectDone, showYearRefused, takeDone } from './common';

type Values = Record<string, string>;

/** What the admin's pages say after a change (the one-time notice of the POST, `redirectDone`). */
const DONE: Record<string, string> = {
  created: '账号已创建。',
  updated: '账号已修改。',
  reactivated: '账号已启用，可以重新登录。',
  deactivated: '账号已停用：它的所有登录已立即退出，不能再登录。',
  'department-added': '部门已添加。',
  'department-saved': '部门已保存。',
  'category-added': '类别已添加。',
  'category-saved': '类别已保存。',
  routing: '分派规则已保存，从现在起登记的工单按新规则分派。',
  retried: '已重新发送这条通知。',
  forwarded: '举报已转送上级纪委监委。',
};

const ACCOUNT_EVENT_LABEL: Record<string, string> = {
  created: '创建账号',
  updated: '修改账号',
  deactivated: '停用',
  reactivated: '启用',
  password_reset: '管理员重置密码',
  password_changed: '本人修改密码',
};
const VIA_LABEL: Record<string, string> = { api: '接口', page: '页面', cli: '命令行' };

const STAFF_ROLES = ['intake', 'handler', 'coordinator', 'supervisor', 'admin'] as const;
const roleOptions = () => STAFF_ROLES.map((r) => ({ value: r, label: ROLE_LABEL[r] }));

/**
 * How long a password reset form's key is honoured after the page issued it: less than the
 * 24 h its use is remembered (IDEMPOTENCY_TTL_MS), so a used key is always known as used.
 */
export const RESET_FORM_TTL_MS = 12 * 3_600_000;
/** What a reset form's key is bound to: the admin who was shown the form and the account it resets. */
const resetKeyBinding = (adminId: string, userId: string) => `password-reset|${adminId}|${userId}`;

/** The account form's strings as the API's body: blanks absent (create) or null (change). */
function accountBody(v: Values, change: boolean): Record<string, unknown> {
  const blank = (s: string | undefined) => opt(s) ?? (change ? null : undefined);
  return {
    ...(change ? {} : { username: v.username ?? '', password: v.password ?? '' }),
    name: v.name ?? '',
    email: blank(v.email),
    phone: blank(v.phone),
    role: opt(v.role),
    departmentCode: blank(v.departmentCode),
    isHead: v.isHead === '1',
  };
}

const ACCOUNT_FIELDS = ['username', 'password', 'name', 'email', 'phone', 'role', 'departmentCode', 'isHead'];
/** Messages of the account form that say more than the general ones. */
const ACCOUNT_FILL: Record<string, string> = {
  username: '请填写用户名：3到64位字母、数字、点、短横线或下划线。',
  password: '请填写初始密码，至少8位。',
  name: '请填写姓名。',
  role: '请选择角色。',
};
function accountForm(values: Values, errors: { field: string; code: string; max?: number }[], problem?: string): FormView {
  const f = formWithErrors(values, errors, ACCOUNT_FIELDS, { problem });
  for (const e of errors) {
    const own = ACCOUNT_FILL[e.field];
    if (own && f.errors[e.field] && ['empty', 'invalid_type', 'invalid_format', 'too_small', 'invalid_value'].includes(e.code)) f.errors[e.field] = own;
  }
  f.summary = f.summary.map((s) => {
    const name = ACCOUNT_FIELDS.find((n) => s.href === `#f-${n}`);
    return name ? { ...s, text: f.errors[name] ?? s.text } : s;
  });
  return f;
}

// the calendar's year in a path or a form: as the API reads it (4 digits, 2000–2100; `2026.0` or `1e3` is none)
const Year = YearParam;
const UserFilter = z.object({
  q: AccountSearchText.optional(),
  role: RoleE.optional(),
  active: z.enum(['true', 'false']).optional(),
  departmentCode: DepartmentCode.optional(),
  cursor: z.string().max(200).optional(),
});
/** The user list's filters in page order, and their own words next to the field. */
const USER_FILTER_FIELDS = ['q', 'role', 'departmentCode', 'active'] as const;
const USER_FILTER_MESSAGES: Record<string, Record<string, string>> = {
  q: {
    too_big: '用户名或姓名最多64个字，请删减后再筛选。',
    invalid_type: '用户名或姓名只能填一项。',
    invisible: '用户名或姓名只有看不见的字符（如零宽空格），请填写要查找的用户名或姓名。',
    control_characters: '用户名或姓名里有不能使用的字符（如换行、控制字符），请删除后再筛选。',
  },
  role: { invalid_value: '没有这个角色，请从列表中选择。', invalid_type: '角色只能选一项。' },
  departmentCode: { invalid_format: '没有这个部门，请从列表中选择。', unknown: '没有这个部门，请从列表中选择。', invalid_type: '部门只能选一项。' },
  active: { invalid_value: '状态请选择“在用”或“已停用”。', invalid_type: '状态只能选一项。' },
};
const OutboxFilter = z.object({ state: z.enum(['pending', 'sent', 'failed', 'held']).optional(), ticketNumber: z.string().max(32).optional(), cursor: z.string().max(200).optional() });
/** The outbox list's filters in words; each is shown next to the state tabs (the page has no other filter field). */
const OUTBOX_FILTER_MESSAGES: Record<string, Record<string, string>> = {
  state: { invalid_value: '没有这个状态，请从上面的状态中选择。', invalid_type: '状态只能选一项。' },
  ticketNumber: { too_big: '工单编号最多32个字，请从上面的状态中选择。', invalid_type: '工单编号只能填一项。' },
};
const Names = z.object({ nameZh: line(100), nameEn: line(200) }).strict();
const Override = z.object({ date: IsoDate, type: z.enum(['holiday', 'workday']), note: line(200).optional() }).strict();
const Policy = z
  .object({
    kind: Kind,
    priority: PriorityE,
    signAmount: z.number().int().min(1).max(1000),
    signUnit: z.enum(['working_days', 'hours']),
    replyAmount: z.number().int().min(1).max(1000),
    replyUnit: z.enum(['working_days', 'hours']),
  })
  .strict();

/** Dates typed one a line (or separated by commas or spaces). */
const dateList = (s: string | undefined) =>
  (s ?? '')
    .split(/[\s,，、]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * The admin's workbench (issue 10 "Admin"), each page through the API's command or query:
 * - `/work/admin/users` (list, filters), `/work/admin/users/new` (create), `/work/admin/users/:id`
 *   (edit name, email, phone, role, department, head; deactivate — every session ends at once —,
 *   reactivate; reset the password, the temporary password shown once on the page the reset
 *   redirects to, from a one-time flash in the session: a reload shows it no more, resets nothing);
 * - `/work/admin/reference`: departments and categories (add, rename, take out of use; a
 *   department still in use names what depends on it);
 * - `/work/admin/routing`, `/work/admin/sla`: the routing rules and SLA policies;
 * - `/work/admin/calendar?year=`: the year view, a day's override and a year's load, each
 *   saying how many open tickets' deadlines were recomputed;
 * - `/work/admin/outbox`: delivery with retry; held integrity reports with their forward
 *   (that they are held and went, never their content: `presentOutbox` masks them).
 */
export function adminPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;
  const now = () => deps.clock.now();
  /** What the POST that brought this browser here did, in words (once; never from the address). */
  const doneOf = (ctx: Context) => {
    const n = takeDone(ctx, kit);
    return n ? (DONE[n.done] ?? null) : null;
  };

  // ── users ────────────────────────────────────────────────────────────────────────────
  router.get('/work/admin/users', async (ctx) => {
    requireStaff(ctx, 'admin');
    // a filter left at 全部 comes blank (`role=`): absent. A filter that is none of the choices
    // (a made-up role or department) is refused next to it, with no list — never all users as if filtered.
    const given = givenQuery(ctx.query);
    const q = UserFilter.safeParse(given);
    const filters = Object.fromEntries(Object.entries(given).filter(([k, v]) => k !== 'cursor' && typeof v === 'string')) as Values;
    const view = {
      filters,
      query: new URLSearchParams(filters).toString(),
      roles: [...roleOptions(), { value: 'owner', label: ROLE_LABEL.owner }],
      roleLabel: ROLE_LABEL,
    };
    if (!q.success) {
      const errors = zodErrors(q.error, given);
      if (errors.some((e) => e.field === 'cursor')) throw badCursor();
      const r = await referenceAdminView(deps);
      return kit.show(
        ctx,
        'work/admin/users',
        '用户',
        { ...view, form: formWithErrors(filters, errors, USER_FILTER_FIELDS, { messages: USER_FILTER_MESSAGES }), users: [], nextCursor: null, dept: () => '—', departments: r.departments },
        400,
      );
    }
    const f = q.data;
    const r = await accountsAdminView(deps, {
      q: opt(f.q),
      role: f.role,
      active: f.active === undefined ? undefined : f.active === 'true',
      departmentCode: f.departmentCode,
      limit: 50,
      cursor: f.cursor,
    });
    const dep = new Map(r.departments.map((d) => [d.code, d.nameZh]));
    if (f.departmentCode && !dep.has(f.departmentCode)) {
      const form = formWithErrors(filters, [{ field: 'departmentCode', code: 'unknown' }], USER_FILTER_FIELDS, { messages: USER_FILTER_MESSAGES });
      return kit.show(ctx, 'work/admin/users', '用户', { ...view, form, users: [], nextCursor: null, dept: () => '—', departments: r.departments }, 400);
    }
    kit.show(ctx, 'work/admin/users', '用户', {
      ...view,
      form: emptyForm(filters),
      users: r.items.map(presentUser),
      nextCursor: r.nextCursor,
      dept: (c: string | null) => (c ? (dep.get(c) ?? c) : '—'),
      departments: r.departments,
    });
  });

  async function showNew(ctx: Context, form: FormView, status = 200) {
    const r = await referenceAdminView(deps);
    kit.show(ctx, 'work/admin/user-new', '新建账号', { form, roles: roleOptions(), departments: r.departments.filter((d) => d.active) }, status);
  }
  router.get('/work/admin/users/new', async (ctx) => {
    requireStaff(ctx, 'admin');
    await showNew(ctx, emptyForm({ role: 'handler' }));
  });
  router.post('/work/admin/users', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const v = readForm(ctx);
    const p = StaffAccount.safeParse(accountBody(v, false));
    if (!p.success) return showNew(ctx, accountForm(v, zodErrors(p.error, accountBody(v, false))), 400);
    try {
      const u = await createStaffAccount(deps.db, p.data, now(), { via: 'page', actor });
      redirectDone(ctx, kit, `/work/admin/users/${u.id}`, 'created');
    } catch (e) {
      const f = formFromAppError(e, v, ACCOUNT_FIELDS);
      if (!f || !(e instanceof AppError)) throw e;
      return showNew(
        ctx,
        accountForm(
          v,
          e.errors.map((x) => ({ field: x.field, code: x.code })),
          e.code === 'account-exists' ? '这个用户名已经有人用了，请换一个。' : f.problem,
        ),
        e.status,
      );
    }
  });

  async function showUser(ctx: Context, id: string, extra: { form?: FormView; problem?: string; temporaryPassword?: string; passwordShown?: boolean } = {}, status = 200) {
    const { account } = requireStaff(ctx, 'admin');
    const r = await accountAdminView(deps, id);
    const u = presentUser(r.user);
    const values: Values = { name: u.name ?? '', email: u.email ?? '', phone: u.phone ?? '', role: u.role, departmentCode: u.departmentCode ?? '', isHead: u.isHead ? '1' : '' };
    const dep = new Map(r.departments.map((d) => [d.code, d.nameZh]));
    kit.show(
      ctx,
      'work/admin/user',
      `账号 ${u.username}`,
      {
        u,
        form: extra.form ?? emptyForm(values),
        problem: extra.problem ?? null,
        temporaryPassword: extra.temporaryPassword ?? null,
        passwordShown: !!extra.passwordShown,
        // the reset form's one-time key: a fresh one per render, so a new click is a new reset;
        // signed for this admin and this account, so that a key the page never issued resets nothing
        formKey: issueFormKey(deps.config.jwtSecret, resetKeyBinding(account.id, u.id), now(), randomUUID()),
        done: doneOf(ctx),
        self: account.id === u.id,
        staff: u.role !== 'owner',
        roles: roleOptions(),
        roleLabel: ROLE_LABEL,
        departments: r.departments.filter((d) => d.active || d.code === u.departmentCode),
        dept: (c: string | null) => (c ? (dep.get(c) ?? c) : '—'),
        events: r.events
          .map(presentAccountEvent)
          .map((e) => ({ ...e, label: ACCOUNT_EVENT_LABEL[e.type] ?? e.type, via: VIA_LABEL[e.via] ?? e.via, detail: eventDetail(e.payload as Record<string, unknown>) })),
      },
      status,
    );
  }
  const userId = (ctx: Context) => {
    if (!Uuid.safeParse(ctx.params.id).success) throw new AppError(404, 'not-found', 'no such account');
    return ctx.params.id as string;
  };
  /** A refused change of an account: the page again with the message (nothing changed). */
  const refusedOnUser = async (ctx: Context, id: string, e: unknown) => {
    if (!(e instanceof AppError) || e.status >= 500 || e.status === 404 || e.status === 401) throw e;
    return showUser(ctx, id, { problem: problemMessage(e.code) }, e.status);
  };

  router.get('/work/admin/users/:id', async (ctx) => {
    requireStaff(ctx, 'admin');
    const id = userId(ctx);
    if (takeDone(ctx, kit)?.done !== 'password-reset') return showUser(ctx, id);
    const f = await takeFlash(ctx, kit.sessions, 'password-reset');
    ctx.set('Cache-Control', 'no-store');
    if (f && f.userId === id && typeof f.temporaryPassword === 'string') return showUser(ctx, id, { temporaryPassword: f.temporaryPassword });
    await showUser(ctx, id, { passwordShown: true });
  });
  router.post('/work/admin/users/:id', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const id = userId(ctx);
    const v = readForm(ctx);
    const body = accountBody(v, true);
    const p = StaffAccountUpdate.safeParse(body);
    if (!p.success) return showUser(ctx, id, { form: accountForm(v, zodErrors(p.error, body)) }, 400);
    try {
      await updateStaffAccount(deps.db, { via: 'page', actor }, id, p.data, now());
      redirectDone(ctx, kit, `/work/admin/users/${id}`, 'updated');
    } catch (e) {
      const f = formFromAppError(e, v, ACCOUNT_FIELDS);
      if (!f || !(e instanceof AppError)) return refusedOnUser(ctx, id, e);
      return showUser(
        ctx,
        id,
        {
          form: accountForm(
            v,
            e.errors.map((x) => ({ field: x.field, code: x.code })),
            f.problem,
          ),
        },
        e.status,
      );
    }
  });
  router.post('/work/admin/users/:id/deactivate', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const id = userId(ctx);
    const p = AccountDeactivation.safeParse({ reason: opt(readForm(ctx).reason) });
    if (!p.success) return showUser(ctx, id, { problem: '停用原因最多500个字。' }, 400);
    try {
      await deactivateAccount(deps.db, { via: 'page', actor }, id, p.data, now());
      redirectDone(ctx, kit, `/work/admin/users/${id}`, 'deactivated');
    } catch (e) {
      return refusedOnUser(ctx, id, e);
    }
  });
  router.post('/work/admin/users/:id/reactivate', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const id = userId(ctx);
    try {
      await reactivateAccount(deps.db, { via: 'page', actor }, id, now());
      redirectDone(ctx, kit, `/work/admin/users/${id}`, 'reactivated');
    } catch (e) {
      return refusedOnUser(ctx, id, e);
    }
  });
  // Post/Redirect/Get: the temporary password goes to the account page once, as a flash in
  // this browser's session (sealed, cleared by the page that shows it); a reload shows it no
  // more and resets nothing.
  // The form carries a key (`formKey`, as the call and symposium forms): the same form posted
  // again — a double click, a resubmitted page, parallel posts — resets once; the others land on
  // the same page, which shows the password if this browser has not been shown it yet, else says
  // it is shown no more and nothing was reset again.
  // A post without the form's own key (none, one the page never issued for this admin and this
  // account, or one older than RESET_FORM_TTL_MS) resets nothing: the page says why and shows a
  // fresh form (docs/decisions/security.md).
  router.post('/work/admin/users/:id/password-reset', async (ctx) => {
    const { actor, account } = requireStaff(ctx, 'admin');
    const id = userId(ctx);
    const v = readForm(ctx);
    const key = checkFormKey(deps.config.jwtSecret, resetKeyBinding(account.id, id), v.formKey, now(), RESET_FORM_TTL_MS);
    if ('refused' in key) return showUser(ctx, id, { problem: problemMessage(`reset-form-${key.refused}`) }, 400);
    const formKey = key.uuid;
    try {
      await resetPasswordOnce(deps, { via: 'page', actor }, id, { scope: `password-reset:user:${account.id}`, key: `page:${formKey}`, rawBody: { userId: id } }, now(), (em, temporaryPassword) =>
        setFlash(ctx, kit.sessions, { kind: 'password-reset', userId: id, temporaryPassword }, em).then(() => undefined),
      );
      redirectDone(ctx, kit, `/work/admin/users/${id}`, 'password-reset');
    } catch (e) {
      return refusedOnUser(ctx, id, e);
    }
  });

  // ── departments and categories ───────────────────────────────────────────────────────
  async function showReference(
    ctx: Context,
    extra: { depForm?: FormView; catForm?: FormView; problem?: string; inUse?: { code: string; name: string; openTickets: number; activeStaff: number; routingRules: number } } = {},
    status = 200,
  ) {
    requireStaff(ctx, 'admin');
    const r = await referenceAdminView(deps);
    const dep = new Map(r.departments.map((d) => [d.code, d.nameZh]));
    kit.show(
      ctx,
      'work/admin/reference',
      '部门和类别',
      {
        ...r,
        dept: (c: string | null) => (c ? (dep.get(c) ?? c) : '—'),
        done: doneOf(ctx),
        problem: extra.problem ?? null,
        inUse: extra.inUse ?? null,
        depForm: extra.depForm ?? emptyForm(),
        catForm: extra.catForm ?? emptyForm(),
        assignable: r.departments.filter((d) => d.active && d.code !== 'DIS'),
      },
      status,
    );
  }
  router.get('/work/admin/reference', async (ctx) => showReference(ctx));
  router.post('/work/admin/departments', async (ctx) => {
    requireStaff(ctx, 'admin');
    const v = readForm(ctx);
    const order = ['code', 'nameZh', 'nameEn'];
    const raw = { code: (v.code ?? '').trim(), nameZh: v.nameZh ?? '', nameEn: v.nameEn ?? '' };
    const p = DepartmentCreate.safeParse(raw);
    if (!p.success) return showReference(ctx, { depForm: codeHint(formWithErrors(v, zodErrors(p.error, raw), order), 'code', '部门代码为2到16位大写字母或数字，例如 TAX。') }, 400);
    try {
      await createDepartment(deps, p.data);
      redirectDone(ctx, kit, '/work/admin/reference#departments', 'department-added');
    } catch (e) {
      const f = formFromAppError(e, v, order);
      if (!f) throw e;
      return showReference(ctx, { depForm: f }, (e as AppError).status);
    }
  });
  /**
   * Renaming, or taking out of use and back, a department or a category: one form handler for
   * both (the command decides; a department still in use answers 409 with what depends on it).
   */
  const updateReference =
    (o: {
      kind: 'department' | 'category';
      codeSchema: typeof DepartmentCode;
      label: string;
      anchor: string;
      update: (code: string, body: { active: boolean } | { nameZh: string; nameEn: string }) => Promise<unknown>;
    }) =>
    async (ctx: Context) => {
      requireStaff(ctx, 'admin');
      const code = ctx.params.code;
      if (!o.codeSchema.safeParse(code).success) throw new AppError(404, 'not-found', `no such ${o.kind}`);
      const v = readForm(ctx);
      const body = v.active === 'false' ? { active: false } : v.active === 'true' ? { active: true } : Names.safeParse({ nameZh: v.nameZh ?? '', nameEn: v.nameEn ?? '' }).data;
      if (!body) return showReference(ctx, { problem: `${o.label}的中文名称和英文名称都要填写，最多100和200个字。` }, 400);
      try {
        await o.update(code, body);
        redirectDone(ctx, kit, `/work/admin/reference#${o.anchor}-${code}`, `${o.kind}-saved`);
      } catch (e) {
        if (e instanceof AppError && e.code === 'department-in-use') {
          const x = e.extra as { openTickets: number; activeStaff: number; routingRules: number };
          const r = await referenceAdminView(deps);
          return showReference(
            ctx,
            { inUse: { code, name: r.departments.find((d) => d.code === code)?.nameZh ?? code, openTickets: x.openTickets, activeStaff: x.activeStaff, routingRules: x.routingRules } },
            409,
          );
        }
        if (!(e instanceof AppError) || e.status >= 500 || e.status === 401) throw e;
        return showReference(ctx, { problem: problemMessage(e.code) }, e.status);
      }
    };
  router.post(
    '/work/admin/departments/:code',
    updateReference({ kind: 'department', codeSchema: DepartmentCode, label: '部门', anchor: 'dep', update: (code, body) => updateDepartment(deps, code, body) }),
  );
  router.post('/work/admin/categories', async (ctx) => {
    requireStaff(ctx, 'admin');
    const v = readForm(ctx);
    const order = ['code', 'nameZh', 'nameEn', 'defaultDepartmentCode'];
    const raw = { code: (v.code ?? '').trim(), nameZh: v.nameZh ?? '', nameEn: v.nameEn ?? '', defaultDepartmentCode: opt(v.defaultDepartmentCode) };
    const p = CategoryCreate.safeParse(raw);
    const prefixed = (f: FormView) => ({ ...f, summary: f.summary.map((s) => ({ ...s, href: s.href.replace('#f-', '#f-cat-') })) });
    if (!p.success)
      return showReference(ctx, { catForm: prefixed(codeHint(formWithErrors(v, zodErrors(p.error, raw), order), 'code', '类别代码为小写字母、数字和下划线，以字母开头，例如 market_fees。')) }, 400);
    try {
      await createCategory(deps, p.data);
      redirectDone(ctx, kit, '/work/admin/reference#categories', 'category-added');
    } catch (e) {
      const f = formFromAppError(e, v, order);
      if (!f) throw e;
      return showReference(ctx, { catForm: prefixed(f) }, (e as AppError).status);
    }
  });
  router.post('/work/admin/categories/:code', updateReference({ kind: 'category', codeSchema: CategoryCode, label: '类别', anchor: 'cat', update: (code, body) => updateCategory(deps, code, body) }));

  // ── routing rules ────────────────────────────────────────────────────────────────────
  async function showRouting(ctx: Context, problem: string | null = null, status = 200) {
    requireStaff(ctx, 'admin');
    const r = await routingAdminView(deps);
    const rule = new Map(r.rules.map((x) => [x.categoryCode, x.departmentCode]));
    kit.show(
      ctx,
      'work/admin/routing',
      '分派规则',
      {
        rows: r.categories.map((c) => ({ ...c, departmentCode: rule.get(c.code) ?? '' })),
        done: doneOf(ctx),
        problem,
        departments: r.departments.filter((d) => d.code !== 'DIS' && d.kind !== 'discipline'),
      },
      status,
    );
  }
  router.get('/work/admin/routing', async (ctx) => showRouting(ctx));
  router.post('/work/admin/routing', async (ctx) => {
    requireStaff(ctx, 'admin');
    const v = readForm(ctx);
    const items = Object.entries(v)
      .filter(([k, d]) => k.startsWith('rule.') && d)
      .map(([k, d]) => ({ categoryCode: k.slice(5), departmentCode: d }));
    try {
      await replaceRoutingRules(deps, items);
      redirectDone(ctx, kit, '/work/admin/routing', 'routing');
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 401) throw e;
      return showRouting(ctx, e.errors.some((x) => x.code === 'discipline') ? '纪委监委只受理举报，不能作为分派规则的部门。' : problemMessage(e.code), e.status);
    }
  });

  // ── SLA policies ─────────────────────────────────────────────────────────────────────
  async function showSla(ctx: Context, extra: { problem?: string; values?: Values; bad?: string } = {}, status = 200) {
    requireStaff(ctx, 'admin');
    const items = (await slaAdminView(deps)).map(presentPolicy);
    const n = takeDone(ctx, kit);
    const recomputed = n?.done === 'sla' && typeof n.recomputed === 'number' ? n.recomputed : null;
    kit.show(
      ctx,
      'work/admin/sla',
      '办理时限',
      { items, values: extra.values ?? null, problem: extra.problem ?? null, bad: extra.bad ?? null, recomputed, kindLabel: L.KIND_LABEL, priorityLabel: L.PRIORITY_LABEL },
      status,
    );
  }
  router.get('/work/admin/sla', async (ctx) => showSla(ctx));
  router.post('/work/admin/sla', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const v = readForm(ctx);
    const keys = [
      ...new Set(
        Object.keys(v)
          .filter((k) => k.startsWith('p.'))
          .map((k) => k.split('.').slice(1, 3).join('.')),
      ),
    ];
    const items: z.infer<typeof Policy>[] = [];
    for (const key of keys) {
      const [kind, priority] = key.split('.');
      const num = (s: string | undefined) => (s && /^\s*\d{1,4}\s*$/.test(s) ? Number(s) : Number.NaN);
      const p = Policy.safeParse({
        kind,
        priority,
        signAmount: num(v[`p.${key}.signAmount`]),
        signUnit: v[`p.${key}.signUnit`],
        replyAmount: num(v[`p.${key}.replyAmount`]),
        replyUnit: v[`p.${key}.replyUnit`],
      });
      if (!p.success) return showSla(ctx, { values: v, bad: key, problem: `${L.KIND_LABEL[kind] ?? kind}（${L.PRIORITY_LABEL[priority] ?? priority}）：时限请填写1到1000的整数，并选择单位。` }, 400);
      items.push(p.data);
    }
    if (!items.length) return showSla(ctx, { problem: '没有收到要保存的时限。' }, 400);
    try {
      const r = await setSlaPolicies(deps, actor, items);
      redirectDone(ctx, kit, '/work/admin/sla', 'sla', { recomputed: r.recomputedTickets });
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 401) throw e;
      const i = Number(/^items\.(\d+)/.exec(e.errors[0]?.field ?? '')?.[1]);
      const p = items[i];
      const which = p ? `${L.KIND_LABEL[p.kind] ?? p.kind}（${L.PRIORITY_LABEL[p.priority] ?? p.priority}）：` : '';
      return showSla(
        ctx,
        {
          values: v,
          bad: p ? `${p.kind}.${p.priority}` : undefined,
          problem: `${which}${e.errors.some((x) => x.code === 'not_before_reply') ? '签收时限必须短于答复时限。' : problemMessage(e.code)}`,
        },
        e.status,
      );
    }
  });

  // ── calendar ─────────────────────────────────────────────────────────────────────────
  async function showCalendar(ctx: Context, year: number, extra: { dayForm?: FormView; loadForm?: FormView } = {}, status = 200) {
    requireStaff(ctx, 'admin');
    const y = await calendarYear(deps, year);
    // what the POST that brought this browser here changed (one-time, never from the address)
    const q = takeDone(ctx, kit);
    const recomputed = q && typeof q.recomputed === 'number' ? q.recomputed : null;
    const what = q?.done === 'day' ? `${q.date} 已改为${q.type === 'holiday' ? '休息日' : '工作日'}。` : q?.done === 'year' ? `${q.year}年的官方安排已载入。` : null;
    kit.show(
      ctx,
      'work/admin/calendar',
      `${year}年工作日历`,
      {
        y,
        year,
        months: yearGrid(year, y.holidays, y.workdays, y.overrides),
        done: what,
        recomputed,
        dayForm: extra.dayForm ?? emptyForm({ date: '', type: 'holiday' }),
        loadForm: extra.loadForm ?? emptyForm({ holidays: y.official ? y.holidays.join('\n') : '', workdays: y.official ? y.workdays.join('\n') : '' }),
      },
      status,
    );
  }
  router.get('/work/admin/calendar', async (ctx) => {
    requireStaff(ctx, 'admin');
    const y = pageYear(ctx.query.year, businessYear(now(), tz));
    if ('refused' in y) return showYearRefused(kit, ctx, { heading: '工作日历', action: '/work/admin/calendar', fallbackLink: '查看今年的工作日历' }, y);
    await showCalendar(ctx, y.year as number);
  });
  router.post('/work/admin/calendar/day', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const v = readForm(ctx);
    const year = Year.safeParse(v.year).success ? Number(v.year) : Number((v.date ?? '').slice(0, 4)) || 2026;
    const raw = { date: (v.date ?? '').trim(), type: opt(v.type), note: opt(v.note) };
    const p = Override.safeParse(raw);
    if (!p.success) {
      const f = formWithErrors(v, zodErrors(p.error, raw), ['date', 'type', 'note']);
      if (f.errors.date && !raw.date) f.errors.date = `请填写要调整的日期，例如 ${year}-10-08。`;
      if (f.errors.type) f.errors.type = '请选择这一天休息还是上班。';
      f.summary = f.summary.map((s) => (s.href === '#f-date' ? { ...s, text: f.errors.date } : s.href === '#f-type' ? { ...s, text: f.errors.type } : s));
      return showCalendar(ctx, year, { dayForm: { ...f, summary: f.summary.map((s) => ({ ...s, href: s.href.replace('#f-', '#f-day-') })) } }, 400);
    }
    const r = await overrideCalendarDay(deps, actor, p.data.date, p.data);
    redirectDone(ctx, kit, `/work/admin/calendar?year=${p.data.date.slice(0, 4)}`, 'day', { date: p.data.date, type: p.data.type, recomputed: r.recomputedTickets });
  });
  router.post('/work/admin/calendar/:year', async (ctx) => {
    const { actor } = requireStaff(ctx, 'admin');
    const y = Year.safeParse(ctx.params.year);
    if (!y.success) throw new AppError(404, 'not-found', 'no such year');
    const v = readForm(ctx);
    const holidays = dateList(v.holidays);
    const workdays = dateList(v.workdays);
    const bad = [...holidays.map((d) => ['holidays', d]), ...workdays.map((d) => ['workdays', d])].find(([, d]) => !IsoDate.safeParse(d).success);
    const refuse = (field: string, text: string, status: number) =>
      showCalendar(ctx, y.data, { loadForm: { values: v, errors: { [field]: text }, summary: [{ href: `#f-load-${field}`, text }] } }, status);
    if (bad) return refuse(bad[0], `“${bad[1]}”不是日期：请按“年-月-日”填写，每行一个，例如 ${y.data}-10-01。`, 400);
    if (holidays.length > 366 || workdays.length > 366) return refuse('holidays', '日期太多了：一年最多366天。', 400);
    try {
      const r = await loadOfficialYear(deps, actor, y.data, { holidays, workdays });
      redirectDone(ctx, kit, `/work/admin/calendar?year=${y.data}`, 'year', { year: y.data, recomputed: r.recomputedTickets });
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 401) throw e;
      const x = e.errors[0];
      const field = x?.field.startsWith('workdays') ? 'workdays' : 'holidays';
      const date = x ? (field === 'workdays' ? workdays : holidays)[Number(x.field.split('.')[1])] : undefined;
      const text = x?.code === 'wrong_year' ? `${date ?? ''} 不属于${y.data}年。` : x?.code === 'duplicate' ? '同一天不能既是休息日又是调休上班日。' : problemMessage(e.code);
      return refuse(field, text, e.status);
    }
  });

  // ── outbox and held reports ──────────────────────────────────────────────────────────
  async function showOutbox(ctx: Context, problem: string | null = null, status = 200) {
    const { actor } = requireStaff(ctx, 'admin');
    // a filter sent blank (`state=`) is absent; a made-up state (or a ticket number over 32
    // characters) is refused next to the tabs with no list of notifications — never all of them as if filtered
    const given = givenQuery(ctx.query);
    const q = OutboxFilter.safeParse(given);
    if (!q.success) {
      const errors = zodErrors(q.error, given);
      if (errors.some((e) => e.field === 'cursor')) throw badCursor();
      const values = Object.fromEntries(Object.entries(given).filter(([k, v]) => k !== 'cursor' && typeof v === 'string')) as Values;
      const form = formWithErrors(values, errors, ['state'], { alias: { ticketNumber: 'state' }, messages: OUTBOX_FILTER_MESSAGES });
      // only the message at the tabs: no list, and not the held reports' panel either (held: null)
      return kit.show(
        ctx,
        'work/admin/outbox',
        '通知发送',
        { form, items: [], held: null, nextCursor: null, state: null, ticketNumber: '', done: null, problem, forwardTo: !!deps.config.higherDisciplineEmail },
        status === 200 ? 400 : status,
      );
    }
    const f = q.data;
    const page = await listOutbox(deps, actor, { state: f.state, ticketNumber: opt(f.ticketNumber), limit: 50, cursor: f.cursor });
    const held = f.state === 'held' ? page.items : (await listOutbox(deps, actor, { state: 'held', limit: 50 })).items;
    kit.show(
      ctx,
      'work/admin/outbox',
      '通知发送',
      {
        items: page.items.map(presentOutbox),
        held: held.map(presentOutbox),
        nextCursor: page.nextCursor,
        form: emptyForm({}),
        state: f.state ?? 'all',
        ticketNumber: f.ticketNumber ?? '',
        done: doneOf(ctx),
        problem,
        forwardTo: !!deps.config.higherDisciplineEmail,
      },
      status,
    );
  }
  router.get('/work/admin/outbox', async (ctx) => showOutbox(ctx));
  for (const [path, fn, word] of [
    ['retry', retryOutboxMessage, 'retried'],
    ['forward', forwardHeldReport, 'forwarded'],
  ] as const) {
    router.post(`/work/admin/outbox/:id/${path}`, async (ctx) => {
      const { actor } = requireStaff(ctx, 'admin');
      if (!Uuid.safeParse(ctx.params.id).success) throw new AppError(404, 'not-found', 'no such message');
      try {
        await fn(deps, actor, ctx.params.id);
        redirectDone(ctx, kit, '/work/admin/outbox', word);
      } catch (e) {
        if (!(e instanceof AppError) || e.status >= 500 || e.status === 401 || e.status === 404) throw e;
        return showOutbox(ctx, problemMessage(e.code), e.status);
      }
    });
  }
}

/** The field's own message instead of "格式不正确" for a code that does not fit its pattern. */
function codeHint(f: FormView, field: string, text: string): FormView {
  if (!f.errors[field] || f.values[field] === undefined || f.values[field].trim() === '') return f;
  return { ...f, errors: { ...f.errors, [field]: text }, summary: f.summary.map((s) => (s.href === `#f-${field}` ? { ...s, text } : s)) };
}

/** An account event's payload in words: which fields changed, placements before → after, reasons. */
function eventDetail(p: Record<string, unknown>): string {
  const parts: string[] = [];
  const fieldName: Record<string, string> = { name: '姓名', email: '邮箱', phone: '电话', role: '角色', departmentCode: '部门', isHead: '部门负责人' };
  if (Array.isArray(p.changed)) parts.push(`修改了${p.changed.map((f) => fieldName[String(f)] ?? String(f)).join('、')}`);
  if (typeof p.reason === 'string') parts.push(`原因：${p.reason}`);
  if (typeof p.sessionsEnded === 'number') parts.push(`退出了${p.sessionsEnded}个登录`);
  if (p.generated === true) parts.push('系统生成临时密码');
  return parts.join('；');
}
