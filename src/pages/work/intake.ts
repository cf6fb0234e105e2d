import type Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import { TicketCreate, Uuid } from '../../schemas';
import { createTicketOnce } from '../../commands/idempotency';
import { callbackList, possibleDuplicates } from '../../queries/workbench';
import { listCategories, listDepartments } from '../../queries/reference';
import { presentTicket } from '../../http/presenters';
import { callbackRatingRefusal, RATINGS, type UserActor } from '../../domain/lifecycle';
import { problemMessage } from '../messages';
import * as L from '../../notifications/labels';
import { emptyForm, FormView } from '../render';
import { BAD_FORM_KEY, FORM_KEY, formFromAppError, formWithErrors, opt, readFormChecked, zodErrors } from '../forms';
import { deadlineText } from '../format';
import { localPath, localInstant, localInputValue, redirectDone, takeDone } from './common';
import { rowView } from './view';

/** The call form's fields in page order (the error summary follows it). */
const CALL_FIELDS = [
  'channel',
  'receivedAt',
  'kind',
  'category',
  'urgent',
  'title',
  'description',
  'owner.name',
  'owner.phone',
  'owner.creditCode',
  'owner.businessName',
  'anonymous',
  'answer',
  'answerAtIntake.message',
] as const;
const ALIAS = { owner: 'owner.name', answerAtIntake: 'answer', priority: 'urgent' };

/** Messages of the call form that speak to the operator (the general ones speak to owners). */
const CALL_MESSAGES: Record<string, Record<string, string>> = {
  title: { empty: '请用一句话记下来电人反映的问题。', invalid_type: '请用一句话记下来电人反映的问题。' },
  description: { empty: '请记下具体情况：发生了什么、在哪里、什么时候、希望怎么解决。', invalid_type: '请记下具体情况：发生了什么、在哪里、什么时候、希望怎么解决。' },
  category: { invalid_type: '请选择问题的类别；不确定的，请选“其他”。' },
  'owner.name': {
    empty: '请填写来电人的姓名，或勾选“来电人不愿留下姓名”。',
    invalid_type: '请填写来电人的姓名，或勾选“来电人不愿留下姓名”。',
    required: '请填写来电人的姓名和手机号码，或勾选“来电人不愿留下姓名”。',
  },
  'owner.phone': { empty: '请填写来电人的手机号码。', invalid_type: '请填写来电人的手机号码。' },
  receivedAt: { invalid_format: '请填写来电（收信、座谈）的日期和时间。', in_future: '来电时间不能晚于现在。', too_old: '来电时间不能早于一年前。' },
  'answerAtIntake.message': { empty: '请记下当场答复的内容。', invalid_type: '请记下当场答复的内容。' },
  answer: { kind: '只有反映问题和建议可以当场答复。', intake_only: '只有热线受理人员可以当场答复。' },
};

/** The form view with the call form's own wording in place of the general messages. */
function callForm(f: FormView, errors: { field: string; code: string }[]): FormView {
  for (const e of errors) {
    const name = (ALIAS as Record<string, string>)[e.field] ?? e.field;
    const text = CALL_MESSAGES[name]?.[e.code];
    if (!text || !f.errors[name]) continue;
    const old = f.errors[name];
    f.errors[name] = text;
    f.summary = f.summary.map((s) => (s.text === old && s.href.endsWith(name.replace(/[^A-Za-z0-9_-]/g, '-')) ? { ...s, text } : s));
  }
  return f;
}

/** The form's strings as the body of `POST /tickets` (the API's schema then validates it). */
function callInput(v: Record<string, string>, tz: string): Record<string, unknown> {
  const anonymous = v.anonymous === '1';
  const received = v.receivedAt?.trim();
  return {
    kind: v.kind === 'suggestion' ? 'suggestion' : 'complaint',
    channel: ['hotline', 'letter', 'symposium'].includes(v.channel ?? '') ? v.channel : 'hotline',
    title: v.title?.trim() ?? '',
    description: v.description ?? '',
    category: opt(v.category),
    ...(v.urgent === '1' ? { priority: 'urgent' } : {}),
    ...(received ? { receivedAt: localInstant(received, tz) ?? received } : {}),
    ...(anonymous
      ? { anonymous: true }
      : {
          owner: {
            name: v['owner.name']?.trim() ?? '',
            phone: v['owner.phone']?.trim() ?? '',
            creditCode: opt(v['owner.creditCode'])?.toUpperCase(),
            businessName: opt(v['owner.businessName']),
          },
        }),
    ...(v.answer === '1' ? { answerAtIntake: { message: v['answerAtIntake.message'] ?? '' } } : {}),
  };
}

/** Why this intake user may not record the ticket's rating by callback, in words (`callbackRatingRefusal`, the rule the rate action applies), or null. */
function callbackRefusalText(t: Parameters<typeof callbackRatingRefusal>[0], actor: UserActor): string | null {
  const code = callbackRatingRefusal(t, actor);
  if (code === 'rating-own-department') return '本部门办理的工单，不能由您登记评价；请由其他部门的回访人员回访。';
  if (code === 'callback-owner-account') return problemMessage(code);
  return null;
}

/**
 * Intake's pages (issue 10, DESIGN §3): the call form (`/work/call`) registering a ticket for
 * a caller through the create command of `POST /api/v1/tickets` (`createTicketOnce`, the
 * form's key as the Idempotency-Key), which first shows the caller's earlier tickets by phone
 * number or credit code (`possibleDuplicates`) with the choice "save anyway" / "the same
 * problem" (a second POST; no JavaScript needed), offers answer-at-intake (the command decides
 * who may), and ends on the number and access code to read out. The callback list
 * (`/work/callbacks`): replied tickets awaiting a rating and bad ratings, each rating recorded
 * through the ticket's `rate` action (`via: 'callback'`), whose refusal the ticket page shows.
 */
export function intakePages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  async function deptNames() {
    const m = new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh]));
    return (c: string | null) => (c ? (m.get(c) ?? c) : '');
  }

  async function showCall(ctx: Context, form: FormView, status = 200, dupes: ReturnType<typeof rowView>[] | null = null) {
    const { actor } = requireStaff(ctx, 'intake');
    const rows = (await listCategories(deps.db.manager)).filter((c) => c.active);
    const categories = [...rows.filter((c) => c.code !== 'other'), ...rows.filter((c) => c.code === 'other')].map((c) => ({ value: c.code, label: c.nameZh }));
    const values: Record<string, string> = {
      channel: 'hotline',
      kind: 'complaint',
      ...form.values,
      formKey: form.values.formKey && FORM_KEY.test(form.values.formKey) ? form.values.formKey : randomUUID(),
    };
    if (!values.receivedAt) values.receivedAt = localInputValue(deps.clock.now(), tz);
    kit.show(ctx, 'work/call', '登记来电', { form: { ...form, values }, categories, dupes, actor }, status);
  }

  router.get('/work/call', async (ctx) => showCall(ctx, emptyForm()));

  router.post('/work/call', async (ctx) => {
    const { actor, account } = requireStaff(ctx, 'intake');
    // a field sent twice: the message next to it, nothing registered (as the owners' forms, not the first value silently)
    const { values: v, repeated } = readFormChecked(ctx);
    if (repeated.length) return showCall(ctx, formWithErrors(v, repeated, CALL_FIELDS, { alias: ALIAS }), 400);
    if (v.same && Uuid.safeParse(v.same).success) {
      // the same problem as an earlier ticket: nothing is registered; its page opens
      return redirectDone(ctx, kit, `/work/tickets/${v.same}`, 'same-call', { ticket: v.same });
    }
    const input = callInput(v, tz);
    const parsed = TicketCreate.safeParse(input);
    const extra = input.category ? [] : [{ field: 'category', code: 'invalid_type' }];
    const errors = [...(parsed.success ? [] : zodErrors(parsed.error, input)), ...extra];
    // a key sent but not one the page writes (a changed or cut uuid) is refused, as on the owners' forms: read as
    // another key it would let the same call be registered twice
    const badKey = !!v.formKey && !FORM_KEY.test(v.formKey);
    if (!parsed.success || errors.length || badKey) return showCall(ctx, callForm(formWithErrors(v, errors, CALL_FIELDS, { alias: ALIAS, problem: badKey ? BAD_FORM_KEY : undefined }), errors), 400);
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    if (v.decision !== 'new' && parsed.data.owner) {
      const earlier = await possibleDuplicates(deps, actor, { phone: parsed.data.owner.phone, creditCode: parsed.data.owner.creditCode });
      if (earlier.length)
        return showCall(
          ctx,
          emptyForm(v),
          200,
          earlier.map((t) => rowView(t, actor, now, cal, tz)),
        );
    }
    try {
      const r = await createTicketOnce(deps, actor, {
        // no key sent (a form not from this page): registered without one, as the API without Idempotency-Key
        key: v.formKey ? `page:${v.formKey}` : undefined,
        scope: `user:${account.id}`,
        rawBody: input,
        input: parsed.data,
        present: (t) => presentTicket(t, actor, { now }),
      });
      const body = r.body as ReturnType<typeof presentTicket> & { accessCode?: string };
      ctx.set('Cache-Control', 'no-store');
      kit.show(ctx, 'work/call-receipt', '已登记', {
        ticket: body,
        accessCode: body.accessCode ?? null,
        replyBy: deadlineText(body.deadlines?.replyBy ?? null, now, cal, tz),
        answered: body.state === 'replied',
        dept: await deptNames(),
      });
    } catch (e) {
      const form = formFromAppError(e, v, CALL_FIELDS, ALIAS);
      if (!form) throw e;
      const errs = e instanceof Error && 'errors' in e ? (e as { errors: { field: string; code: string }[] }).errors : [];
      await showCall(ctx, callForm(form, errs), (e as { status: number }).status);
    }
  });

  router.get('/work/callbacks', async (ctx) => {
    const { actor } = requireStaff(ctx, 'intake');
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const l = await callbackList(deps, actor);
    const row = (t: Parameters<typeof rowView>[0]) => rowView(t, actor, now, cal, tz);
    kit.show(ctx, 'work/callbacks', '回访', {
      // a ticket this user may never rate by callback (their own department's; a signed-in owner's) has no form, but the reason
      awaiting: { rows: l.awaiting.items.map((t) => ({ ...row(t), refusal: callbackRefusalText(t, actor) })), total: l.awaiting.total },
      bad: { rows: l.badlyRated.items.map((t) => ({ ...row(t), rating: t.rating, ratedAt: t.ratedAt })), total: l.badlyRated.total },
      dept: await deptNames(),
      ratings: RATINGS.map((r) => ({ value: r, label: L.RATING_LABEL[r] })),
      done: takeDone(ctx, kit)?.done === 'rate' ? '回访评价已记录。' : null,
      back: localPath('/work/callbacks', '/work/callbacks'),
    });
  });
}
