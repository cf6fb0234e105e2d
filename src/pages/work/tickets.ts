import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { PageKit } from '../kit';
import { requireStaff } from './access';
import { ActionBodies, DepartmentCode, intParam, Kind, SearchText, StateE, Uuid } from '../../schemas';
import { listDepartments } from '../../queries/reference';
import { asciiForm } from '../../domain/validators';
import { actOnTicket, ActionInput } from '../../commands/actions';
import { checkCanActWithFiles, readAttachment } from '../../commands/attachments';
import { canRespond } from '../../commands/oversight';
import { ticketWorkView, TicketWorkView, workTickets } from '../../queries/workbench';
import { presentTicket } from '../../http/presenters';
import { sendAttachment } from '../../http/routes/attachments';
import { ACTIONS, Action, isOpen, mayRevealContact, REJECT_GROUNDS, RATINGS, OUTCOMES, UserActor, STATES, TICKET_KINDS } from '../../domain/lifecycle';
import { facts } from '../../commands/ticket-store';
import { actionTakesFiles } from '../../domain/attachments';
import { trimWhiteSpace } from '../../domain/text';
import { AppError } from '../../errors';
import * as L from '../../notifications/labels';
import { emptyForm, FormView } from '../render';
import { formWithErrors, opt, zodErrors, PageFieldError } from '../forms';
import { fieldMessage, problemMessage } from '../messages';
import { withFormFiles } from '../uploads';
import { countdownText, rowView, timelineView } from './view';
import { givenQuery, localPath, redirectDone, takeDone } from './common';
import { formatDeadline } from '../format';
import { badCursor } from '../../queries/cursor';

/** The fields of each action's form, in page order (the error summary follows it). */
const FIELDS: Record<Action, readonly string[]> = {
  dispatch: ['departmentCode', 'note'],
  sign: [],
  return: ['reason'],
  'request-info': ['message'],
  supplement: ['message', 'file'],
  'request-extension': ['workingDays', 'reason'],
  'decide-extension': ['approve', 'note'],
  reply: ['outcome', 'message', 'file'],
  rate: ['rating', 'comment'],
  reject: ['ground', 'detail'],
  withdraw: ['reason'],
  merge: ['intoTicketId'],
  reopen: ['reason'],
  close: ['note'],
  note: ['text'],
  escalate: ['level', 'note'],
  conclude: ['finding', 'summary', 'file'],
  decide: ['outcome', 'reason', 'file'],
};

/** The message for a field left empty, per action (the general ones speak to owners). */
const FILL_IN: Partial<Record<Action, Record<string, string>>> = {
  dispatch: { departmentCode: '请选择办理部门。' },
  return: { reason: '请写明退回的理由：为什么不属于本部门职责。' },
  'request-info': { message: '请写明需要提交人补充什么。' },
  supplement: { message: '请写明来电人补充的内容。' },
  'request-extension': { workingDays: '请填写延长的工作日天数（1到30）。', reason: '请写明延期的理由。' },
  'decide-extension': { approve: '请选择同意或不同意。' },
  reply: { outcome: '请选择办理结果。', message: '请写明答复内容。' },
  rate: { rating: '请选择来电人的评价。' },
  reject: { ground: '请选择不予受理的理由。', detail: '请写明具体情况。' },
  merge: { intoTicketId: '请先查找并选择要并入的工单。' },
  reopen: { reason: '请写明重新办理的理由。' },
  note: { text: '请填写备注内容。' },
  escalate: { level: '请选择督办级别。', note: '请写明督办要求。' },
  conclude: { finding: '请选择核查结论。', summary: '请写明核查情况。' },
  decide: { outcome: '请选择异议决定。', reason: '请写明理由。' },
};

/** What the page says after an action succeeded. */
const DONE: Record<Action, string> = {
  dispatch: '已分派。',
  sign: '已签收，请在答复期限前办理。',
  return: '已退回协调办公室。',
  'request-info': '已请提交人补充材料，答复期限暂停计算。',
  supplement: '已记录补充材料。',
  'request-extension': '延期申请已提交，等待协调办公室审批。',
  'decide-extension': '已审批延期申请。',
  reply: '已答复，等待提交人评价。',
  rate: '评价已记录。',
  reject: '已决定不予受理。',
  withdraw: '已撤回。',
  merge: '已并单。',
  reopen: '已重新办理，新一轮已分派给原部门。',
  close: '已办结。',
  note: '备注已保存。',
  escalate: '已督办。',
  conclude: '举报已办结。',
  decide: '异议已决定。',
};

/**
 * The words of a ticket action's one-time notice (`redirectDone` with `done` = the action): a
 * dispatch names the ticket and the department it went to (`number`, `dept` in the notice), the
 * rest say what happened; null for a notice that is no ticket action's.
 */
export function actionDoneText(n: { done: string; number?: string | number; dept?: string | number }): string | null {
  if (n.done === 'dispatch' && n.number && n.dept) return `已把 ${n.number} 分派给${n.dept}。`;
  return DONE[n.done as Action] ?? null;
}

/** What the page says after the other forms it carries (oversight orders). */
const DONE_OTHER: Record<string, string> = {
  respond: '已回复督办单。',
  'close-order': '督办单已关闭。',
  'same-call': '没有登记新工单：来电人反映的是这件工单的同一问题，请把新情况记在这件工单上。',
};

const isEmpty = (code: string) => code === 'empty' || code === 'invalid_type' || code === 'required';
/** A typed whole number (full-width digits read as ASCII, `asciiForm`); NaN when not one, undefined when blank. */
const int = (s: string | undefined) => {
  const x = asciiForm(s ?? '').trim();
  return /^\d{1,3}$/.test(x) ? Number(x) : x ? Number.NaN : undefined;
};
const choice = (s: string | undefined) => (s ? s : undefined);

/** The form's strings as the action's body (the API's schema then validates them). */
function toInput(action: Action, v: Record<string, string>, actor: UserActor): Record<string, unknown> {
  switch (action) {
    case 'dispatch':
      return { departmentCode: choice(v.departmentCode), note: opt(v.note) };
    case 'sign':
      return {};
    case 'return':
      return { reason: v.reason ?? '' };
    case 'request-info':
    case 'supplement':
      return { message: v.message ?? '' };
    case 'request-extension':
      return { workingDays: int(v.workingDays), reason: v.reason ?? '' };
    case 'decide-extension':
      return { approve: v.approve === 'yes' ? true : v.approve === 'no' ? false : undefined, note: opt(v.note) };
    case 'reply':
      return { outcome: choice(v.outcome), message: v.message ?? '' };
    case 'rate':
      return { rating: choice(v.rating), comment: opt(v.comment), ...(actor.role === 'intake' ? { via: 'callback' } : {}) };
    case 'reject':
      return { ground: choice(v.ground), detail: v.detail ?? '' };
    case 'withdraw':
      return { reason: opt(v.reason) };
    case 'merge':
      return { intoTicketId: v.intoTicketId ?? '' };
    case 'reopen':
      return { reason: v.reason ?? '' };
    case 'close':
      return { note: opt(v.note) };
    case 'note':
      return { text: v.text ?? '' };
    case 'escalate':
      return { level: int(v.level), note: v.note ?? '' };
    case 'conclude':
      return { finding: choice(v.finding), summary: v.summary ?? '' };
    case 'decide':
      return { outcome: choice(v.outcome), reason: v.reason ?? '' };
  }
}

/** A form view for one action's form: field ids carry the action (several forms share a page), messages say what to fill in. */
export function actionForm(action: Action, values: Record<string, string>, errors: PageFieldError[], problem?: string): FormView {
  const f = formWithErrors(values, errors, FIELDS[action], { problem });
  for (const e of errors) {
    const own = FILL_IN[action]?.[e.field];
    // a choice left blank (radios or a list: zod's invalid_value for the missing option) is a field left empty too
    if (own && (isEmpty(e.code) || (e.code === 'invalid_value' && !values[e.field])) && f.errors[e.field]) f.errors[e.field] = own;
  }
  f.summary = f.summary.map((s) => {
    const field = s.href.startsWith('#f-') ? FIELDS[action].find((n) => s.href === `#f-${n}`) : undefined;
    return field ? { href: `#f-${action}-${field}`, text: f.errors[field] ?? s.text } : s;
  });
  return f;
}

/** Validates a posted action form: the body for `actOnTicket`, or the form with its errors. */
function parseAction(action: Action, v: Record<string, string>, actor: UserActor): { input: ActionInput } | { form: FormView } {
  const raw = toInput(action, v, actor);
  const schema = ActionBodies[action] as z.ZodType;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const errs = zodErrors(parsed.error).map((e) => (Number.isNaN(raw[e.field] as number) ? { ...e, code: 'invalid_type' } : e));
    return { form: actionForm(action, v, errs) };
  }
  return { input: { action, ...(parsed.data as object) } as ActionInput };
}

/** The form of an AppError a command threw: field errors next to the fields, anything else as the message at the top. */
function errorForm(action: Action, e: AppError, v: Record<string, string>): FormView {
  const known = new Set(FIELDS[action]);
  const fieldErrs = e.errors.filter((x) => known.has(x.field)).map((x) => ({ field: x.field, code: x.code }));
  const problem =
    fieldErrs.length && e.code === 'validation-failed'
      ? undefined
      : e.code === 'validation-failed' && e.errors.length
        ? e.errors.map((x) => fieldMessage(x.field, x.code)).join(' ')
        : problemMessage(e.code);
  return actionForm(action, v, fieldErrs, problem);
}

const ListQuery = z.object({
  state: StateE.optional(),
  kind: Kind.optional(),
  departmentCode: DepartmentCode.optional(),
  overdue: z.literal('1').optional(),
  dueSoon: z.literal('1').optional(),
  // decimal digits naming a level of DESIGN §5 (0: none; `1e0`, `0x1`, `1.0` or 4 are refused, as in the API)
  escalationLevel: intParam(0, 3, 'an escalation level').optional(),
  from: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  to: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
  q: SearchText.optional(),
  cursor: z.string().max(200).optional(),
});
/** The list's filters in the order the page lays them out (the error summary follows it). */
const FILTER_FIELDS = ['q', 'state', 'kind', 'departmentCode', 'escalationLevel', 'from', 'to'] as const;
/** The filters' own wording next to the field (the search box is "搜索内容"). */
const FILTER_MESSAGES: Record<string, Record<string, string>> = {
  q: {
    invisible: '搜索内容只有看不见的字符（如零宽空格），请填写要查找的编号、电话或关键词。',
    too_long: '搜索内容最多100个字，请删减后再搜索。',
    control_characters: '搜索内容里有不能使用的字符（如换行、控制字符），请删除后再搜索。',
    invalid_type: '搜索内容只能填一项。',
  },
  escalationLevel: {
    invalid_format: '督办级别请从列表中选择。',
    too_big: '督办级别请从列表中选择。',
    too_small: '督办级别请从列表中选择。',
    invalid_type: '督办级别只能选一项。',
  },
  from: { invalid_format: '请按“年-月-日”填写日期，例如 2026-11-02。' },
  to: { invalid_format: '请按“年-月-日”填写日期，例如 2026-11-02。' },
};

/** Beijing midnight of a local date as a UTC instant (`2026-11-02` → 2026-11-01T16:00Z), `end` the next midnight. */
export function localDayStart(date: string, tz: string, end = false): Date {
  const [y, m, d] = date.split('-').map(Number);
  const guess = new Date(Date.UTC(y, m - 1, d + (end ? 1 : 0)));
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(guess);
  const p = (t: string) => Number(parts.find((x) => x.type === t)?.value);
  const asLocal = Date.UTC(p('year'), p('month') - 1, p('day'), p('hour'), p('minute'));
  return new Date(guess.getTime() - (asLocal - guess.getTime()));
}

/**
 * The ticket lists and the ticket page of the workbench (issue 10 "Every role"):
 * - `GET /work/tickets`: the filters of `GET /api/v1/tickets`, next deadline first, paged;
 * - `GET /work/tickets/:id`: the facts, the contact record as `presentTicket` gives it to this
 *   viewer, the deadlines in Beijing time with the working days left, the timeline with each
 *   event's text and files, the oversight orders, and one small form per action
 *   `allowedActions` lists for this viewer;
 * - `POST /work/tickets/:id/<action>`: the form → the API's schema → `actOnTicket`; a refused
 *   action shows its Chinese message on the page and changes nothing;
 * - `GET /work/tickets/:id/files/:fileId` (and `/preview`): a file, as the API sends it.
 */
export function ticketPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  router.get('/work/tickets', async (ctx) => {
    const { actor, account } = requireStaff(ctx);
    // a filter left at "全部" comes as `state=` (the form sends every field): blank is absent, never a value
    const given = givenQuery(ctx.query);
    const q = ListQuery.safeParse(given);
    const filters = { ...Object.fromEntries(Object.entries(given).filter(([k, v]) => k !== 'cursor' && typeof v === 'string')) } as Record<string, string>;
    const listView = {
      filters,
      showDepartment: account.role !== 'handler',
      states: STATES,
      kinds: TICKET_KINDS.filter((k) => k !== 'integrity_report' || account.role !== 'intake'),
      query: new URLSearchParams(filters).toString(),
    };
    if (!q.success) {
      // A filter that breaks a rule (a search text over 100 characters, a made-up state): the
      // message next to the field, the values kept, and no list — never all tickets as if searched.
      const errors = zodErrors(q.error, given);
      if (errors.some((e) => e.field === 'cursor')) throw badCursor();
      const form = formWithErrors(filters, errors, FILTER_FIELDS, { messages: FILTER_MESSAGES });
      kit.show(ctx, 'work/tickets', '工单', { ...listView, form, rows: [], total: 0, nextCursor: null, departments: await listDepartments(deps.db.manager) }, 400);
      return;
    }
    const f = q.data;
    const criteria = {
      state: f.state,
      kind: f.kind,
      departmentCode: f.departmentCode,
      escalationLevel: f.escalationLevel,
      q: opt(f.q),
      overdue: f.overdue ? true : undefined,
      dueSoon: f.dueSoon ? true : undefined,
      from: f.from ? localDayStart(f.from, tz) : undefined,
      to: f.to ? localDayStart(f.to, tz, true) : undefined,
    };
    const list = await workTickets(deps, actor, criteria, { limit: 50, cursor: f.cursor });
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const names = new Map(list.departments.map((d) => [d.code, d.nameZh]));
    kit.show(ctx, 'work/tickets', '工单', {
      ...listView,
      // the 办理部门 column in Chinese, as the filter and the ticket page name them
      dept: (c: string | null) => (c ? (names.get(c) ?? c) : ''),
      form: emptyForm(filters),
      rows: list.items.map((t) => rowView(t, actor, now, cal, tz)),
      total: list.total,
      nextCursor: list.nextCursor,
      departments: list.departments,
    });
  });

  async function showTicket(ctx: Context, id: string, extra: { forms?: Partial<Record<Action, FormView>>; open?: Action | null; orderForm?: { id: string; form: FormView } } = {}, status = 200) {
    const { actor } = requireStaff(ctx);
    const identity = ctx.query.identity === '1';
    const contact = ctx.query.contact === '1' && ctx.method === 'GET'; // a HEAD shows no number: no reveal recorded
    // the merge form's search reads as the list's `q`: over 100 characters (never cut to 100), control
    // characters or invisible characters only, or given twice, find nothing — never every open ticket
    const rawMergeQ = ctx.query.mergeQ;
    const mergeQ = trimWhiteSpace(Array.isArray(rawMergeQ) ? (rawMergeQ[0] ?? '') : (rawMergeQ ?? '')); // a BOM alone stays: refused, not blank
    const mergeCheck = Array.isArray(rawMergeQ) ? z.string().safeParse(rawMergeQ) : mergeQ ? SearchText.safeParse(rawMergeQ) : null;
    const mergeError = mergeCheck && !mergeCheck.success ? (zodErrors(mergeCheck.error).map((e) => FILTER_MESSAGES.q[e.code])[0] ?? FILTER_MESSAGES.q.invisible) : null;
    const v: TicketWorkView = await ticketWorkView(deps, actor, id, { identity, contact, mergeQuery: mergeQ && !mergeError ? mergeQ : undefined });
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const t = v.read.ticket;
    const p = presentTicket(t, actor, { now, identityAudited: v.read.identityAudited, contactRevealed: v.read.contactRevealed, oversight: v.read.oversight });
    const depName = new Map(v.departments.map((d) => [d.code, d.nameZh]));
    // what the POST that brought this browser here did to this ticket (one-time, never from the address;
    // an action on another ticket whose way back led here says nothing here)
    const notice = takeDone(ctx, kit, (n) => n.ticket === id);
    const done = notice ? (actionDoneText(notice) ?? DONE_OTHER[notice.done] ?? null) : null;
    const deadlines = (
      [
        ['dispatchBy', '分派期限'],
        ['signBy', '签收期限'],
        ['replyBy', '答复期限'],
        ['rateBy', '评价期限'],
        ['escalateBy', '红牌督办期限'],
      ] as const
    )
      .filter(([k]) => p.deadlines[k] && relevantDeadline(k, t.state))
      .map(([k, label]) => ({ label, at: formatDeadline(new Date(p.deadlines[k]!), tz), due: t.state === 'awaiting_info' && k === 'replyBy' ? null : countdownText(p.deadlines[k], now, cal, tz) }));
    const forms: Partial<Record<Action, FormView>> = {};
    for (const a of p.allowedActions) forms[a] = extra.forms?.[a] ?? actionForm(a, a === 'dispatch' ? { departmentCode: v.suggestedDepartment ?? '' } : {}, []);
    const orders = (p.oversight ?? []).map((o) => ({
      ...o,
      due: o.state === 'open' ? countdownText(o.respondBy, now, cal, tz) : null,
      canRespond: o.state === 'open' && canRespond({ departmentCode: o.departmentCode }, actor),
      canClose: o.state !== 'closed' && actor.role === 'coordinator',
      form: extra.orderForm?.id === o.id ? extra.orderForm.form : emptyForm(),
    }));
    // as on the dispatch board: the department that just returned it is not offered again
    const returnedBy = v.returns.at(-1)?.departmentCode ?? null;
    const dispatchTo = v.departments.filter((d) => d.active && (t.kind === 'integrity_report' ? d.code === 'DIS' : d.code !== 'DIS') && d.code !== t.accusedDepartmentCode && d.code !== returnedBy);
    kit.show(
      ctx,
      'work/ticket',
      `${t.number} ${t.title}`,
      {
        t: p,
        v,
        timeline: timelineView(v, actor),
        deadlines,
        forms,
        open: extra.open ?? (mergeQ && p.allowedActions.includes('merge') ? 'merge' : notice?.done === 'same-call' && p.allowedActions.includes('note') ? 'note' : primaryAction(p.allowedActions)),
        done,
        orders,
        dept: (c: string | null) => (c ? (depName.get(c) ?? c) : ''),
        dispatchTo,
        suggested: v.suggestedDepartment,
        category: v.categories.find((c) => c.code === t.categoryCode)?.nameZh ?? null,
        canSeeIdentity: actor.role === 'supervisor' && p.kind === 'integrity_report' && p.reporter === 'masked',
        // the 显示完整电话 link: a handler of the department that holds it, the number still masked
        contactRevealed: v.read.contactRevealed,
        canRevealContact: !v.read.contactRevealed && !!t.contact?.phone && mayRevealContact({ ...facts(t), anonymous: !!t.anonymous }, actor),
        grounds: REJECT_GROUNDS.map((g) => ({ value: g, label: L.GROUND_LABEL[g] })),
        ratings: RATINGS.map((r) => ({ value: r, label: L.RATING_LABEL[r] })),
        outcomes: OUTCOMES.map((o) => ({ value: o, label: L.OUTCOME_LABEL[o] })),
        mergeQ,
        mergeError,
        candidates: v.mergeCandidates.map((c) => rowView(c, actor, now, cal, tz)),
        maxFiles: deps.uploads.limits.maxFiles,
        maxMb: Math.floor(deps.uploads.limits.maxBytes / 1048576),
        back: localPath(typeof ctx.query.back === 'string' ? ctx.query.back : undefined, ''),
        intake: actor.role === 'intake',
        identity,
        orderFailed: extra.orderForm?.form ?? null,
        refused: extra.open && extra.forms?.[extra.open] ? extra.forms[extra.open] : null,
      },
      mergeError && status === 200 ? 400 : status,
    );
  }

  router.get('/work/tickets/:id', async (ctx) => {
    requireStaff(ctx);
    if (!Uuid.safeParse(ctx.params.id).success) throw new AppError(404, 'not-found', 'no such ticket');
    await showTicket(ctx, ctx.params.id);
  });

  router.post('/work/tickets/:id/:action', async (ctx) => {
    const { actor } = requireStaff(ctx);
    const id = ctx.params.id;
    const action = ctx.params.action as Action;
    if (!Uuid.safeParse(id).success || !(ACTIONS as readonly string[]).includes(action)) throw new AppError(404, 'not-found', 'no such ticket action');
    const files = actionTakesFiles(action);
    let posted: Record<string, string> = {};
    const acted: { t?: Awaited<ReturnType<typeof actOnTicket>> } = {};
    try {
      await withFormFiles(
        ctx,
        kit,
        files
          ? async (fields) => {
              posted = fields;
              versionOf(action, fields);
              const r = parseAction(action, fields, actor);
              if ('form' in r) throw new FormRefused(r.form);
              await checkCanActWithFiles(deps, actor, id, action);
            }
          : null,
        async (fields, staged) => {
          posted = fields;
          const version = versionOf(action, fields);
          const r = parseAction(action, fields, actor);
          if ('form' in r) throw new FormRefused(r.form);
          acted.t = await actOnTicket(deps, actor, id, r.input, version, staged);
        },
      );
    } catch (e) {
      if (e instanceof FormRefused) return showTicket(ctx, id, { forms: { [action]: e.form }, open: action }, 400);
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 404 || e.status === 401) throw e;
      return showTicket(ctx, id, { forms: { [action]: errorForm(action, e, posted) }, open: action }, e.status);
    }
    // a dispatch says which ticket went to which department (the board lists many); an action
    // taken from a list (the handler's 待办: sign) names its ticket there
    const said: Record<string, string> = { ticket: id };
    const t = acted.t;
    if (t) said.number = t.number;
    if (action === 'dispatch' && t?.departmentCode) {
      said.dept = (await listDepartments(deps.db.manager)).find((d) => d.code === t.departmentCode)?.nameZh ?? t.departmentCode;
    }
    redirectDone(ctx, kit, localPath(posted.back, '') || `/work/tickets/${id}`, action, said);
  });

  for (const part of ['file', 'preview'] as const) {
    router.get(`/work/tickets/:id/files/:fileId${part === 'preview' ? '/preview' : ''}`, async (ctx) => {
      const { actor } = requireStaff(ctx);
      if (!Uuid.safeParse(ctx.params.id).success || !Uuid.safeParse(ctx.params.fileId).success) throw new AppError(404, 'not-found', 'no such file');
      sendAttachment(ctx, await readAttachment(deps, actor, ctx.params.id, ctx.params.fileId, part), part);
    });
  }

  return { showTicket };
}

/**
 * The ticket version the form was drawn at (every action form carries it): the stale-page
 * check (412) needs it, so a form without a number there is refused (400), never acted on
 * without the check.
 */
function versionOf(action: Action, fields: Record<string, string>): number {
  if (/^\d{1,9}$/.test(fields.version ?? '')) return Number(fields.version);
  throw new FormRefused(actionForm(action, fields, [], VERSION_MISSING));
}
const VERSION_MISSING = '这个表单不完整（缺少工单的版本号），没有办理。请刷新页面，在工单页面重新操作。';

/** A refused form (validation before anything is stored): shown again with its messages. */
class FormRefused extends Error {
  constructor(readonly form: FormView) {
    super('form refused');
  }
}

/** Deadlines that mean something in a state (the sign-for deadline of a signed ticket is history). */
function relevantDeadline(k: string, state: string): boolean {
  if (!isOpen(state as never)) return false;
  switch (k) {
    case 'dispatchBy':
      return state === 'registered';
    case 'signBy':
      return state === 'dispatched';
    case 'rateBy':
      return state === 'replied';
    case 'replyBy':
    case 'escalateBy':
      return state !== 'replied';
    default:
      return false;
  }
}

/** The action whose form is open when the page opens: what this viewer would do next. */
function primaryAction(allowed: Action[]): Action | null {
  for (const a of ['sign', 'dispatch', 'reply', 'decide-extension', 'rate', 'conclude', 'decide', 'supplement', 'close'] as Action[]) if (allowed.includes(a)) return a;
  return null;
}
