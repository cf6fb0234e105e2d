import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import { multiline, StateE, Uuid } from '../../schemas';
import { revokeVetoRecord } from '../../commands/vetoes';
import { workTickets } from '../../queries/workbench';
import { vetoRegisterView } from '../../queries/supervisor-views';
import { assessmentList } from '../../queries/report-views';
import { presentVeto } from '../../http/presenters';
import { AppError } from '../../errors';
import { formWithErrors, readForm, zodErrors } from '../forms';
import { problemMessage } from '../messages';
import { emptyForm, type FormView } from '../render';
import { rowView } from './view';
import { rateText } from '../charts';
import { businessYear, givenQuery, pageYear, redirectDone, showYearRefused, takeDone } from './common';
import { badCursor } from '../../queries/cursor';

const Revoke = z.object({ reason: multiline(2000) }).strict();

/** A veto history step in words (DESIGN §7). */
const HISTORY_LABEL: Record<string, string> = {
  imposed: '一票否决',
  cause_added: '增加查实案件',
  reinstated: '案件重新成立',
  cause_withdrawn: '案件改为不属实',
  revoked: '撤销一票否决',
};
/** The integrity console's tabs: the states a report passes through. */
const TABS: [string, string][] = [
  ['', '全部'],
  ['dispatched', '待签收'],
  ['in_progress', '核查中'],
  ['replied', '已办结待评价'],
  ['closed', '已结案'],
];

/**
 * The integrity console's filters: a state (a tab), `escalated=1` (the home's figure), the page.
 * Sent blank they are absent; anything else is refused next to the tabs, with no list.
 */
const IntegrityFilter = z.object({ state: StateE.optional(), escalated: z.literal('1').optional(), cursor: z.string().max(200).optional() });
/** The tabs' own words (every filter of the page is one of its tabs, so each is shown next to them). */
const TAB_FILTER_MESSAGES: Record<string, Record<string, string>> = {
  state: { invalid_value: '没有这个状态，请从上面的状态中选择。', invalid_type: '状态只能选一项。' },
  escalated: { invalid_value: '没有这个筛选，请从上面的状态中选择。', invalid_type: '没有这个筛选，请从上面的状态中选择。' },
};

/** The current business year. */

/**
 * The supervisors' workbench (issue 10 "Supervisor"):
 * - `/work/integrity`: the integrity-report console, every report by state with the accused
 *   department; each opens the ticket page, where the reporter's identity is behind the
 *   "显示举报人身份" button (recorded as the API records it) and sign and conclude are the
 *   ticket's actions;
 * - `/work/vetoes?year=`: the veto register with its causes and history; a standing veto is
 *   revoked with a reason (`POST /work/vetoes/:id/revoke`, `revokeVetoRecord`);
 * - `/work/assessments?year=`: every department's assessment (the veto rule's verdict and the
 *   year's figures). All oversight orders are on `/work/oversight`.
 */
export function supervisorPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  router.get('/work/integrity', async (ctx) => {
    const { actor } = requireStaff(ctx, 'supervisor');
    // a tab left blank (`state=`) is absent; a made-up state is refused next to the tabs, never every report as if filtered
    const given = givenQuery(ctx.query);
    const q = IntegrityFilter.safeParse(given);
    if (!q.success) {
      const errors = zodErrors(q.error, given);
      if (errors.some((e) => e.field === 'cursor')) throw badCursor();
      const values = Object.fromEntries(Object.entries(given).filter(([k, v]) => k !== 'cursor' && typeof v === 'string')) as Record<string, string>;
      const form = formWithErrors(values, errors, ['state'], { alias: { escalated: 'state' }, messages: TAB_FILTER_MESSAGES });
      return kit.show(ctx, 'work/integrity', '举报', { form, rows: [], total: 0, nextCursor: null, state: null, escalated: false, tabs: TABS, dept: () => '—' }, 400);
    }
    const st = q.data.state;
    const cursor = q.data.cursor;
    // `escalated=1` (the home's figure): escalated to the supervisors (level 3) and not yet concluded
    const escalated = q.data.escalated === '1';
    const list = await workTickets(deps, actor, { kind: 'integrity_report', state: st, ...(escalated ? { escalationLevel: 3, unanswered: true } : {}) }, { limit: 50, cursor });
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const dep = new Map(list.departments.map((d) => [d.code, d.nameZh]));
    kit.show(ctx, 'work/integrity', '举报', {
      rows: list.items.map((t) => rowView(t, actor, now, cal, tz)),
      total: list.total,
      nextCursor: list.nextCursor,
      state: escalated ? 'escalated' : (st ?? ''),
      escalated,
      form: emptyForm({}),
      tabs: TABS,
      dept: (c: string | null | undefined) => (c ? (dep.get(c) ?? c) : '—'),
    });
  });

  async function showVetoes(ctx: Context, extra: { failed?: { id: string; form: FormView } } = {}, status = 200) {
    const { actor } = requireStaff(ctx, 'supervisor');
    // no year (or a blank one) is every year; a year that is no year is refused, never read as every year
    const y = pageYear(ctx.query.year, null);
    if ('refused' in y) return showYearRefused(kit, ctx, { heading: '一票否决登记簿', action: '/work/vetoes', fallbackLink: '查看全部年份的一票否决' }, y);
    const year = y.year ?? undefined;
    const r = await vetoRegisterView(deps, actor, year);
    const name = (c: string) => r.names.get(c) ?? c;
    kit.show(
      ctx,
      'work/vetoes',
      '一票否决',
      {
        year: year ?? null,
        thisYear: businessYear(deps.clock.now(), tz),
        done: takeDone(ctx, kit)?.done === 'revoked' ? '已撤销一票否决；它仍留在登记簿里，附撤销理由。' : null,
        vetoes: r.vetoes
          .map((v) => presentVeto(v, actor))
          .map((v) => ({
            ...v,
            name: name(v.departmentCode),
            causes: 'causes' in v ? v.causes : [],
            amount: 'activeAmountYuan' in v ? v.activeAmountYuan : null,
            history: v.history.map((x) => ({ ...x, label: HISTORY_LABEL[x.type] ?? x.type })),
            canRevoke: v.status === 'active' && actor.departmentCode !== v.departmentCode,
            form: extra.failed?.id === v.id ? extra.failed.form : emptyForm(),
          })),
      },
      status,
    );
  }
  router.get('/work/vetoes', async (ctx) => showVetoes(ctx));
  router.post('/work/vetoes/:id/revoke', async (ctx) => {
    const { actor } = requireStaff(ctx, 'supervisor');
    const id = ctx.params.id;
    if (!Uuid.safeParse(id).success) throw new AppError(404, 'not-found', 'no such veto');
    const v = readForm(ctx);
    const p = Revoke.safeParse({ reason: v.reason ?? '' });
    const withIds = (f: FormView) => ({ ...f, summary: f.summary.map((s) => ({ ...s, href: `#f-revoke-${id}-reason` })) });
    if (!p.success) {
      const f = formWithErrors(v, zodErrors(p.error, { reason: v.reason ?? '' }), ['reason']);
      if (f.errors.reason && (v.reason ?? '').trim() === '') {
        f.errors.reason = '请写明撤销的理由。';
        f.summary = [{ href: '#f-reason', text: '请写明撤销的理由。' }];
      }
      return showVetoes(ctx, { failed: { id, form: withIds(f) } }, 400);
    }
    try {
      await revokeVetoRecord(deps, actor, id, p.data.reason);
      redirectDone(ctx, kit, `/work/vetoes#veto-${id}`, 'revoked');
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 401 || e.status === 404) throw e;
      return showVetoes(ctx, { failed: { id, form: { ...emptyForm(v), problem: problemMessage(e.code) } } }, e.status);
    }
  });

  router.get('/work/assessments', async (ctx) => {
    const { actor } = requireStaff(ctx, 'supervisor');
    const y = pageYear(ctx.query.year, businessYear(deps.clock.now(), tz));
    if ('refused' in y) return showYearRefused(kit, ctx, { heading: '部门考核', action: '/work/assessments', fallbackLink: '查看今年的部门考核' }, y);
    const year = y.year as number;
    const r = await assessmentList(deps, actor, year);
    kit.show(ctx, 'work/assessments', `${year}年部门考核`, {
      year,
      asOf: r.asOf.toISOString(),
      rate: rateText,
      items: r.items,
    });
  });
}
