import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import { intParam, multiline, Uuid } from '../../schemas';
import { checkCanRespond, closeOrder, respondToOrder } from '../../commands/oversight';
import { runWithFiles } from '../../commands/attachments';
import { runAs } from '../../deps';
import { workOrders } from '../../queries/workbench';
import { presentOversightOrder } from '../../http/presenters';
import { AppError } from '../../errors';
import { formWithErrors, opt, readForm, zodErrors } from '../forms';
import { problemMessage } from '../messages';
import { withFormFiles } from '../uploads';
import { countdownText } from './view';
import { givenQuery, localPath, redirectDone } from './common';
import { emptyForm, type FormView } from '../render';

const Respond = z.object({ message: multiline(5000) }).strict();
const Close = z.object({ note: multiline(2000).optional() }).strict();
/**
 * The list's filters: a state tab (`all` is every state; none is `open`), a level of DESIGN §5
 * that an order has (2 or 3, decimal digits: `2.0` or `0x2` is none), `overdue=1`. Sent blank
 * they are absent; anything else is refused next to the tabs with no list.
 */
const Filter = z.object({ state: z.enum(['open', 'responded', 'closed', 'all']).optional(), level: intParam(2, 3, 'an oversight level').optional(), overdue: z.literal('1').optional() });
const FILTER_MESSAGES: Record<string, Record<string, string>> = {
  state: { invalid_value: '没有这个状态，请从上面的状态中选择。', invalid_type: '状态只能选一项。' },
  level: {
    invalid_format: '没有这个督办级别，请从上面的状态中选择。',
    too_big: '没有这个督办级别，请从上面的状态中选择。',
    too_small: '没有这个督办级别，请从上面的状态中选择。',
    invalid_type: '督办级别只能选一项。',
  },
  overdue: { invalid_value: '没有这个筛选，请从上面的状态中选择。', invalid_type: '没有这个筛选，请从上面的状态中选择。' },
};

/**
 * Oversight orders (督办单, DESIGN §5) in the workbench: the list (`/work/oversight`), the
 * department's answer with files (`POST /work/oversight/:id/respond`) and the coordinator's
 * closing (`…/close`), each through the API's command. A refused answer or closing shows its
 * message on the ticket page, where the forms are.
 */
export function oversightPages(router: Router, kit: PageKit, showTicket: (ctx: Context, id: string, extra: { orderForm?: { id: string; form: FormView } }, status: number) => Promise<void>) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  router.get('/work/oversight', async (ctx) => {
    const { actor } = requireStaff(ctx, 'handler', 'coordinator', 'supervisor', 'admin');
    const given = givenQuery(ctx.query);
    const q = Filter.safeParse(given);
    if (!q.success) {
      // a made-up state or level: the message next to the tabs and no orders — never the open ones as if filtered
      const values = Object.fromEntries(Object.entries(given).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
      const form = formWithErrors(values, zodErrors(q.error, given), ['state'], { alias: { level: 'state', overdue: 'state' }, messages: FILTER_MESSAGES });
      kit.show(ctx, 'work/oversight', '督办单', { form, orders: [], state: null, level: undefined, overdue: false }, 400);
      return;
    }
    const f = q.data;
    const r = await workOrders(deps, actor, { state: f.state === 'all' ? undefined : (f.state ?? 'open'), level: f.level, overdue: f.overdue ? true : undefined });
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const dep = new Map(r.departments.map((d) => [d.code, d.nameZh]));
    kit.show(ctx, 'work/oversight', '督办单', {
      orders: r.items.map((o) => ({
        ...presentOversightOrder(o, now),
        due: o.state === 'open' ? countdownText(o.respondBy, now, cal, tz) : null,
        dept: dep.get(o.departmentCode ?? '') ?? o.departmentCode,
      })),
      form: emptyForm({}),
      state: f.state ?? 'open',
      level: f.level,
      overdue: !!f.overdue,
    });
  });

  /** The ticket page again with the order's form and its message (nothing was changed). */
  async function refused(ctx: Context, orderTicket: string | undefined, id: string, form: FormView, status: number) {
    if (!orderTicket || !Uuid.safeParse(orderTicket).success) throw new AppError(status, 'validation-failed', 'refused');
    const summary = form.summary.map((x) => ({ ...x, href: x.href.replace('#f-message', `#f-order-${id}-message`).replace('#f-note', `#f-close-${id}-note`) }));
    await showTicket(ctx, orderTicket, { orderForm: { id, form: { ...form, summary } } }, status);
  }

  router.post('/work/oversight/:id/respond', async (ctx) => {
    const { actor } = requireStaff(ctx, 'handler', 'coordinator');
    const id = ctx.params.id;
    if (!Uuid.safeParse(id).success) throw new AppError(404, 'not-found', 'no such order');
    let posted: Record<string, string> = {};
    let ticketId = '';
    try {
      const o = await withFormFiles(
        ctx,
        kit,
        async (fields) => {
          posted = fields;
          const p = Respond.safeParse({ message: fields.message ?? '' });
          if (!p.success) throw new FormError(formWithErrors(fields, zodErrors(p.error), ['message']));
          await checkCanRespond(deps.db.manager, actor, id);
        },
        async (fields, files) => {
          posted = fields;
          const p = Respond.safeParse({ message: fields.message ?? '' });
          if (!p.success) throw new FormError(formWithErrors(fields, zodErrors(p.error), ['message']));
          return runWithFiles(deps, actor, files, (c) => respondToOrder(c, id, p.data.message, files));
        },
      );
      ticketId = o.ticketId;
      deps.onTicketsChanged?.([o.ticketId]);
    } catch (e) {
      const t = /^\/work\/tickets\/([0-9a-f-]{36})$/.exec(posted.back ?? '')?.[1];
      if (e instanceof FormError) return refused(ctx, t, id, fillIn(e.form, '请写明督办单的回复内容。'), 400);
      if (e instanceof AppError && e.status < 500 && e.status !== 404 && e.status !== 401)
        return refused(ctx, t, id, { ...formWithErrors(posted, [], ['message']), problem: problemMessage(e.code) }, e.status);
      throw e;
    }
    redirectDone(ctx, kit, `${localPath(posted.back, `/work/tickets/${ticketId}`)}#oversight`, 'respond', { ticket: ticketId });
  });

  router.post('/work/oversight/:id/close', async (ctx) => {
    const { actor } = requireStaff(ctx, 'coordinator');
    const id = ctx.params.id;
    if (!Uuid.safeParse(id).success) throw new AppError(404, 'not-found', 'no such order');
    const v = readForm(ctx);
    const t = /^\/work\/tickets\/([0-9a-f-]{36})$/.exec(v.back ?? '')?.[1];
    const p = Close.safeParse({ note: opt(v.note) });
    if (!p.success) return refused(ctx, t, id, formWithErrors(v, zodErrors(p.error), ['note']), 400);
    try {
      const o = await runAs(deps, actor, (c) => closeOrder(c, id, p.data.note));
      deps.onTicketsChanged?.([o.ticketId]);
      redirectDone(ctx, kit, localPath(v.back, '/work/oversight'), 'close-order', { ticket: o.ticketId });
    } catch (e) {
      if (e instanceof AppError && e.status < 500 && e.status !== 404 && e.status !== 401)
        return refused(ctx, t, id, { ...formWithErrors(v, [], ['note']), problem: problemMessage(e.code) }, e.status);
      throw e;
    }
  });
}

class FormError extends Error {
  constructor(readonly form: FormView) {
    super('form refused');
  }
}

const fillIn = (f: FormView, text: string): FormView => (f.errors.message && f.summary.length ? { ...f, errors: { ...f.errors, message: text }, summary: f.summary.map((s) => ({ ...s, text })) } : f);
