import type Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import type { PageKit } from './kit';
import { actorOf, pageState } from './kit';
import { TicketCreate } from '../schemas';
import { createTicketOnce } from '../commands/idempotency';
import { listCategories, listDepartments } from '../queries/reference';
import { findNotice, noticeView } from '../queries/result-notices';
import { presentTicket } from '../http/presenters';
import { emptyForm, FormView } from './render';
import { formFromAppError, formWithErrors, opt, readForm, zodErrors } from './forms';
import { deadlineText } from './format';
import { DEMAND_LABEL } from '../notifications/labels';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { ROLE_STAFF_NOTE } from './texts';

const CONTACT = ['owner.name', 'owner.phone', 'owner.businessName', 'owner.creditCode', 'owner.email'] as const;
const COMPLAINT_FIELDS = ['kind', 'category', 'title', 'description', 'anonymous', ...CONTACT] as const;
const INTEGRITY_FIELDS = ['accused.departmentCode', 'accused.demand', 'accused.amountYuan', 'accused.occurredOn', 'accused.person', 'title', 'description', 'anonymous', ...CONTACT] as const;
const OBJECTION_FIELDS = ['resultEntryId', 'description', ...CONTACT] as const;
/** A command's error on `owner` (e.g. an objection without a name) is shown at the name field. */
const ALIAS = { owner: 'owner.name', accused: 'accused.departmentCode', resultNoticeId: 'resultEntryId', subjectCreditCode: 'resultEntryId' };

/** The contact fields of a form, as `owner` of `POST /tickets` (absent when anonymous or signed in). */
function contactFrom(v: Record<string, string>) {
  return {
    name: v['owner.name']?.trim() ?? '', phone: v['owner.phone']?.trim() ?? '', creditCode: opt(v['owner.creditCode'])?.toUpperCase(),
    businessName: opt(v['owner.businessName']), email: opt(v['owner.email']),
  };
}

/**
 * The submit pages (issue 9 §2): a complaint or suggestion (category by plain names), an
 * integrity report (accused department, what was demanded, amount, date; the promise of
 * DESIGN §7), an objection to an open result notice (real name). Each posts to the same
 * create command as `POST /api/v1/tickets`, once per form (the form's key is the
 * Idempotency-Key: a second tap shows the same receipt), and answers with the receipt.
 */
export function submitPages(router: Router, kit: PageKit) {
  const { deps } = kit;

  async function categories() {
    const rows = (await listCategories(deps.db.manager)).filter((c) => c.active);
    // 其他 last: the choice for "not sure"
    return [...rows.filter((c) => c.code !== 'other'), ...rows.filter((c) => c.code === 'other')].map((c) => ({ value: c.code, label: c.nameZh }));
  }
  async function departments() {
    return (await listDepartments(deps.db.manager)).filter((d) => d.active).map((d) => ({ value: d.code, label: d.nameZh }));
  }
  const withKey = (v: Record<string, string>) => ({ ...v, formKey: v.formKey && /^[0-9a-f-]{36}$/.test(v.formKey) ? v.formKey : randomUUID() });

  async function showComplaint(ctx: Context, form: FormView, status = 200) {
    kit.show(ctx, 'submit/complaint', '反映问题 / 提建议', { form: { ...form, values: withKey(form.values) }, categories: await categories(), staffNote: ROLE_STAFF_NOTE }, status);
  }
  async function showIntegrity(ctx: Context, form: FormView, status = 200) {
    const demands = Object.entries(DEMAND_LABEL).map(([value, label]) => ({ value, label }));
    kit.show(ctx, 'submit/integrity', '举报违规收费、摊派、索要财物', { form: { ...form, values: withKey(form.values) }, departments: await departments(), demands, today: new Date(deps.clock.now()).toISOString().slice(0, 10) }, status);
  }

  /** Validates with the API's schema, creates once, renders the receipt; else the form with its errors. */
  async function submit(ctx: Context, v: Record<string, string>, input: Record<string, unknown>, order: readonly string[], again: (form: FormView, status: number) => Promise<void>, extraErrors: { field: string; code: string }[] = []) {
    const parsed = TicketCreate.safeParse(input);
    const errors = [...(parsed.success ? [] : zodErrors(parsed.error, input)), ...extraErrors];
    if (!parsed.success || errors.length) return again(formWithErrors(v, errors, order, { alias: ALIAS }), 400);
    const actor = actorOf(ctx);
    const a = pageState(ctx).account;
    const now = deps.clock.now();
    try {
      const r = await createTicketOnce(deps, actor, {
        key: `page:${v.formKey}`, scope: a ? `user:${a.id}` : `client:${ctx.ip}`, rawBody: input, input: parsed.data,
        present: (t) => presentTicket(t, actor, { now }),
      });
      const cal = await deps.calendar.get(deps.db.manager);
      const body = r.body as ReturnType<typeof presentTicket> & { accessCode?: string };
      ctx.set('Cache-Control', 'no-store');
      kit.show(ctx, 'submit/receipt', '已经收到', {
        ticket: body, accessCode: body.accessCode ?? null, replyBy: deadlineText(body.deadlines?.replyBy ?? null, now, cal, deps.config.businessTz),
        heldForHigher: body.kind === 'integrity_report' && body.accused?.departmentCode === DISCIPLINE_DEPARTMENT,
      });
    } catch (e) {
      const form = formFromAppError(e, v, order, ALIAS);
      if (!form) throw e;
      await again(form, (e as { status: number }).status);
    }
  }

  router.get('/submit/complaint', async (ctx) => showComplaint(ctx, emptyForm({ kind: ctx.query.kind === 'suggestion' ? 'suggestion' : 'complaint' })));
  router.post('/submit/complaint', async (ctx) => {
    const v = readForm(ctx);
    const signedIn = !!pageState(ctx).account;
    const anonymous = v.anonymous === '1';
    const input = {
      kind: v.kind === 'suggestion' ? 'suggestion' : v.kind === 'complaint' ? 'complaint' : v.kind, channel: 'web',
      title: v.title?.trim() ?? '', description: v.description ?? '', category: opt(v.category),
      ...(anonymous ? { anonymous: true } : signedIn ? {} : { owner: contactFrom(v) }),
    };
    const extra = input.category ? [] : [{ field: 'category', code: 'invalid_type' }];
    await submit(ctx, v, input, COMPLAINT_FIELDS, (f, s) => showComplaint(ctx, f, s), extra);
  });

  router.get('/submit/integrity', async (ctx) => showIntegrity(ctx, emptyForm()));
  router.post('/submit/integrity', async (ctx) => {
    const v = readForm(ctx);
    const signedIn = !!pageState(ctx).account;
    const anonymous = v.anonymous === '1';
    const input = {
      kind: 'integrity_report', channel: 'web', title: v.title?.trim() ?? '', description: v.description ?? '',
      accused: {
        departmentCode: v['accused.departmentCode'] ?? '', demand: v['accused.demand'], person: opt(v['accused.person']),
        amountYuan: opt(v['accused.amountYuan'])?.replace(/元$/, ''), occurredOn: v['accused.occurredOn']?.trim() ?? '',
      },
      ...(anonymous ? { anonymous: true } : signedIn ? {} : { owner: contactFrom(v) }),
    };
    await submit(ctx, v, input, INTEGRITY_FIELDS, (f, s) => showIntegrity(ctx, f, s));
  });

  // The objection form of an open result notice (DESIGN §6: real name, an entry of the notice).
  async function showObjection(ctx: Context, noticeId: string, form: FormView, status = 200) {
    const cal = await deps.calendar.get(deps.db.manager);
    const view = await noticeView(deps.db.manager, await findNotice(deps.db.manager, noticeId), actorOf(ctx), cal, deps.config.businessTz, deps.clock.now());
    const entries = view.entries.filter((e) => e.status !== 'revoked').map((e) => ({ value: e.id, label: e.businessName, hint: `统一社会信用代码 ${e.creditCode}` }));
    kit.show(ctx, 'submit/objection', '对认定结果提出异议', { form: { ...form, values: withKey(form.values) }, notice: view, entries }, status);
  }
  router.get('/notices/:id/object', async (ctx) => showObjection(ctx, ctx.params.id, emptyForm({ resultEntryId: typeof ctx.query.entry === 'string' ? ctx.query.entry : '' })));
  router.post('/notices/:id/object', async (ctx) => {
    const v = readForm(ctx);
    const signedIn = !!pageState(ctx).account;
    const cal = await deps.calendar.get(deps.db.manager);
    const notice = await noticeView(deps.db.manager, await findNotice(deps.db.manager, ctx.params.id), actorOf(ctx), cal, deps.config.businessTz, deps.clock.now());
    const entry = notice.entries.find((e) => e.id === v.resultEntryId);
    const input = {
      kind: 'objection', channel: 'web', title: `对《${notice.title}》中“${entry?.businessName ?? '名单'}”的异议`.slice(0, 200), description: v.description ?? '',
      resultNoticeId: notice.id, resultEntryId: opt(v.resultEntryId),
      ...(signedIn ? {} : { owner: contactFrom(v) }),
    };
    const extra = v.resultEntryId ? [] : [{ field: 'resultEntryId', code: 'required' }];
    await submit(ctx, v, input, OBJECTION_FIELDS, (f, s) => showObjection(ctx, ctx.params.id, f, s), extra);
  });
}
