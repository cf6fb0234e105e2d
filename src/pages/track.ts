import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { PageKit } from './kit';
import { actorOf, pageState } from './kit';
import { findVisibleByNumber, publicAnswers, publicTimeline, unlockTicket } from '../queries/tracking';
import { listDepartments } from '../queries/reference';
import { actOnTicket } from '../commands/actions';
import { facts } from '../commands/ticket-store';
import { presentTracked } from '../http/presenters';
import { takeAttempt, trackLimit } from '../http/limiter';
import { Actor, allowedActions, RATINGS } from '../domain/lifecycle';
import { AppError } from '../errors';
import { multiline } from '../schemas';
import { emptyForm, FormView } from './render';
import { formFromAppError, formWithErrors, opt, readForm, zodErrors } from './forms';
import { deadlineText, nextStep } from './format';
import { problemMessage } from './messages';
import type { TicketRecord as Ticket } from '../queries/tickets';
import { RATING_LABEL } from '../notifications/labels';

const NUMBER = /^[A-Z]{1,6}\d{10}$/;
const LOOKUP_FIELDS = ['number', 'code'] as const;
const Supplement = z.object({ message: multiline(5000) });
const Rate = z.object({ rating: z.enum(RATINGS), comment: multiline(1000).optional() });
const Withdraw = z.object({ reason: multiline(1000).optional() });

/** What the track page may do for this viewer now, from the lifecycle (the same rule the API applies). */
function actionsFor(t: Ticket, actor: Actor) {
  const allowed = allowedActions(facts(t), actor);
  return { supplement: allowed.includes('supplement'), rate: allowed.includes('rate'), withdraw: allowed.includes('withdraw') };
}

/**
 * The track page (issue 9 §4) at `/track?number=…`: with the number and the access code, or
 * signed in as the submitter. Shows what `GET /api/v1/track/:number` shows (state, deadlines,
 * the public timeline with the answers) and the forms the lifecycle allows now: supplement
 * when information was asked for, rate (five levels and a comment) after the reply, withdraw
 * before it (signed-in owners, as in the API). A wrong code and an unknown number get the
 * same message; attempts count on the API's limit.
 */
export function trackPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  function showLookup(ctx: Context, form: FormView, status = 200) {
    kit.show(ctx, 'track/lookup', '查询办理进度', { form }, status);
  }

  /** The ticket for this request: by code (counted on the limit) or as the signed-in submitter; null = show the lookup form. */
  async function resolve(ctx: Context, v: Record<string, string>): Promise<{ t: Ticket; actor: Actor; code: string | null } | FormView> {
    const number = (v.number ?? '').trim().toUpperCase();
    const code = (v.code ?? '').trim().toUpperCase();
    const errors = [];
    if (!number) errors.push({ field: 'number', code: 'empty' });
    else if (!NUMBER.test(number)) errors.push({ field: 'number', code: 'invalid_format' });
    const account = pageState(ctx).account;
    if (account && !code && !errors.length) {
      try {
        const t = await findVisibleByNumber(deps.db.manager, actorOf(ctx), number);
        return { t, actor: actorOf(ctx), code: null };
      } catch { /* not theirs: ask for the code */ }
    }
    if (!code) errors.push({ field: 'code', code: 'empty' });
    if (errors.length) return formWithErrors({ number, code: '' }, errors, LOOKUP_FIELDS);
    const limit = trackLimit(number, ctx.ip);
    try {
      await takeAttempt(ctx, kit.attempts, [limit], 'too many wrong access codes; try again later');
      const t = await unlockTicket(deps.db.manager, deps.config.jwtSecret, number, code.slice(0, 32));
      await kit.attempts.clear([limit.key]);
      return { t, actor: { kind: 'access_code', ticketId: t.id }, code };
    } catch (e) {
      if (e instanceof AppError && e.code === 'not-found') return { ...emptyForm({ number, code: '' }), problem: '工单编号或查询码不正确，请核对后再输入。' };
      if (e instanceof AppError && e.status === 429) {
        const minutes = Math.ceil(Number(e.extra.retryAfter ?? 900) / 60);
        return { ...emptyForm({ number, code: '' }), problem: problemMessage('too-many-attempts', { minutes }) };
      }
      throw e;
    }
  }

  async function showTicket(ctx: Context, t: Ticket, actor: Actor, code: string | null, extra: { notice?: string; forms?: Record<string, FormView> } = {}, status = 200) {
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const view = presentTracked(t, await publicAnswers(deps.db.manager, t.id), await publicTimeline(deps.db.manager, t.id));
    const departments = new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh]));
    const info = view.timeline.filter((s) => s.type === 'info_requested').at(-1);
    ctx.set('Cache-Control', 'no-store');
    kit.show(ctx, 'track/ticket', `工单 ${t.number}`, {
      t: view, code, signedIn: !code, departments: Object.fromEntries(departments),
      next: nextStep(t, now, cal, tz), replyBy: deadlineText(t.replyBy, now, cal, tz), rateBy: deadlineText(t.rateBy, now, cal, tz),
      actions: actionsFor(t, actor), infoRequest: info?.text ?? null,
      forms: { supplement: emptyForm(), rate: emptyForm(), withdraw: emptyForm(), ...(extra.forms ?? {}) }, notice: extra.notice ?? null,
      ratings: RATINGS.map((r) => ({ value: r, label: RATING_LABEL[r] })),
    }, status);
  }

  router.get('/track', async (ctx) => {
    const number = typeof ctx.query.number === 'string' ? ctx.query.number.trim().toUpperCase() : '';
    if (number && pageState(ctx).account && NUMBER.test(number)) {
      try {
        const t = await findVisibleByNumber(deps.db.manager, actorOf(ctx), number);
        return await showTicket(ctx, t, actorOf(ctx), null);
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'not-found')) throw e;
      }
    }
    showLookup(ctx, emptyForm({ number, code: '' }));
  });

  router.post('/track', async (ctx) => {
    const r = await resolve(ctx, readForm(ctx));
    if ('values' in r) return showLookup(ctx, r, r.problem?.includes('分钟') ? 429 : 400);
    await showTicket(ctx, r.t, r.actor, r.code);
  });

  /** One action form on the track page: resolve the viewer again, validate, act, show the ticket. */
  function actionRoute<S extends z.ZodType>(path: string, form: 'supplement' | 'rate' | 'withdraw', schema: S, fields: readonly string[], toInput: (d: z.infer<S>) => Parameters<typeof actOnTicket>[3], done: string) {
    router.post(path, async (ctx) => {
      const v = readForm(ctx);
      const r = await resolve(ctx, v);
      if ('values' in r) return showLookup(ctx, r, 400);
      const raw = { message: v.message, rating: v.rating, comment: opt(v.comment), reason: opt(v.reason) };
      const parsed = schema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => fields.includes(k)).map(([k, x]) => [k, k === 'message' ? x ?? '' : x])));
      if (!parsed.success) return showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: formWithErrors(v, zodErrors(parsed.error), fields) } }, 400);
      try {
        const t = await actOnTicket(deps, r.actor, r.t.id, toInput(parsed.data));
        await showTicket(ctx, t, r.actor, r.code, { notice: done });
      } catch (e) {
        const f = formFromAppError(e, v, fields);
        if (!f) throw e;
        await showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: f } }, (e as { status: number }).status);
      }
    });
  }
  actionRoute('/track/supplement', 'supplement', Supplement, ['message'], (d) => ({ action: 'supplement', message: d.message }), '已经把补充的内容交给办理部门，答复期限恢复计算。');
  actionRoute('/track/rate', 'rate', Rate, ['rating', 'comment'], (d) => ({ action: 'rate', rating: d.rating, comment: d.comment }), '谢谢您的评价。');
  actionRoute('/track/withdraw', 'withdraw', Withdraw, ['reason'], (d) => ({ action: 'withdraw', reason: d.reason }), '工单已撤回，不再办理。');
}
