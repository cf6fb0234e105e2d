import type Router from '@koa/router';
import type { Context } from 'koa';
import type { PageKit } from '../kit';
import { pageCursor, redirectDone, takeDone } from './common';
import { requireStaff } from './access';
import { SymposiumCreate, SymposiumIssues, Uuid } from '../../schemas';
import { addSymposiumIssues, IssuesAdded, listSymposiums, recordSymposium, symposiumWithIssues } from '../../commands/symposiums';
import { presentSymposium } from '../../http/presenters';
import { listCategories, listDepartments } from '../../queries/reference';
import { localDate } from '../../domain/deadline';
import { AppError } from '../../errors';
import { emptyForm, FormView } from '../render';
import { formFromAppError, formWithErrors, keyReused, opt, readForm, zodErrors } from '../forms';
import { setFlash, takeFlash } from '../session';
import { randomUUID } from 'node:crypto';

/** Issue rows a new form offers, and how many "add rows" adds (a form holds at most 200 issues, as the API). */
const ROWS = 5;
const MAX_ROWS = 200;
const ISSUE_FIELDS = ['kind', 'category', 'title', 'description', 'owner.name', 'owner.phone', 'anonymous'] as const;
const MEETING_FIELDS = ['title', 'heldOn', 'place', 'hostDepartmentCode', 'attendees'] as const;

/** Messages of the symposium forms that say more than the general ones. */
const OWN: Record<string, Record<string, string>> = {
  title: { empty: '请填写座谈会的名称。', invalid_type: '请填写座谈会的名称。' },
  heldOn: { empty: '请填写召开日期。', in_future: '召开日期不能晚于今天。' },
  'issue.title': { empty: '请用一句话写明这个问题。', invalid_type: '请用一句话写明这个问题。' },
  'issue.description': { empty: '请写明这个问题的具体情况。', invalid_type: '请写明这个问题的具体情况。' },
  'issue.owner.name': { empty: '请填写提出人的姓名，或勾选“不留姓名”。', invalid_type: '请填写提出人的姓名，或勾选“不留姓名”。', required: '请填写提出人的姓名和手机号码，或勾选“不留姓名”。' },
  'issue.owner.phone': { empty: '请填写提出人的手机号码。', invalid_type: '请填写提出人的手机号码。' },
  'issue.category': { invalid_type: '请选择问题的类别；不确定的，请选“其他”。' },
};

/** A row's field name (`r3_owner_name`): flat, so the form parser keeps every row. */
const rowName = (i: number, f: string) => `r${i}_${f.replace(/\./g, '_')}`;

/** A row of the issues form is used when any of its text fields is filled in. */
const rowUsed = (v: Record<string, string>, i: number) => ['title', 'description', 'owner.name', 'owner.phone'].some((f) => (v[rowName(i, f)] ?? '').trim() !== '');

/** The rows the posted form has (their indexes), from the `rows` field. */
/** The form's key (one per form shown; the double-submit guard), a fresh one when it has none. */
const formKeyOf = (v: Record<string, string>) => (v.formKey && /^[0-9a-f-]{36}$/.test(v.formKey) ? v.formKey : randomUUID());
/** What `once` of the symposium commands is for this form: its key under the account's symposium scope. */
const onceOf = (accountId: string, what: string, v: Record<string, string>, rawBody: unknown) => ({ scope: `symposium:user:${accountId}`, key: `page:${what}:${formKeyOf(v)}`, rawBody });
/** Post/Redirect/Get: the new issues' access codes go to the symposium page once, as a flash in the session. */
const FLASH = 'symposium-codes';

const rowCount = (v: Record<string, string>) => Math.min(MAX_ROWS, Math.max(1, /^\d{1,3}$/.test(v.rows ?? '') ? Number(v.rows) : ROWS));

/** The issues of the form as the API's `issues` (with the index of the row each came from). */
function issuesFrom(v: Record<string, string>): { rows: number[]; issues: Record<string, unknown>[] } {
  const rows: number[] = [];
  const issues: Record<string, unknown>[] = [];
  for (let i = 0; i < rowCount(v); i++) {
    if (!rowUsed(v, i)) continue;
    const f = (k: string) => v[rowName(i, k)];
    rows.push(i);
    issues.push({
      kind: f('kind') === 'complaint' ? 'complaint' : 'suggestion',
      title: f('title')?.trim() ?? '',
      description: f('description') ?? '',
      category: opt(f('category')),
      ...(f('anonymous') === '1' ? { anonymous: true } : { owner: { name: f('owner.name')?.trim() ?? '', phone: f('owner.phone')?.trim() ?? '' } }),
    });
  }
  return { rows, issues };
}

/** Attendees, one a line: name, then optionally a mobile number and the business name (comma or space separated). */
function attendeesFrom(text: string | undefined): Record<string, string>[] {
  return (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [name, ...rest] = l.split(/[,，、\s]+/);
      const phone = rest.find((x) => /^\d{11}$/.test(x));
      const businessName = rest.filter((x) => x !== phone).join(' ');
      return { name, ...(phone ? { phone } : {}), ...(businessName ? { businessName } : {}) };
    });
}

/** Field errors named `issues.<i>.<field>` (the API's index among the used rows) → the form's field names (the row on the page). */
function toRowFields(errors: { field: string; code: string; max?: number }[], rows: number[]) {
  return errors.map((e) => {
    const m = /^issues\.(\d+)\.(.+)$/.exec(e.field);
    if (m) return { ...e, field: rowName(rows[Number(m[1])] ?? 0, m[2] === 'owner' ? 'owner.name' : m[2]), own: `issue.${m[2] === 'owner' ? 'owner.name' : m[2]}` };
    if (/^attendees\./.test(e.field)) return { ...e, field: 'attendees', own: 'attendees' };
    return { ...e, own: e.field };
  });
}

/** The form view of errors, with the symposium forms' own wording. */
function symposiumForm(v: Record<string, string>, errors: { field: string; code: string; max?: number; own: string }[], rowsShown: number, problem?: string): FormView {
  const order = [...MEETING_FIELDS, ...Array.from({ length: rowsShown }, (_, i) => ISSUE_FIELDS.map((f) => rowName(i, f))).flat()];
  const f = formWithErrors(v, errors, order, { problem });
  for (const e of errors) {
    const text = OWN[e.own]?.[e.code];
    if (!text || !f.errors[e.field]) continue;
    const row = /^r(\d+)_/.exec(e.field);
    const t = row ? `第${Number(row[1]) + 1}个问题：${text}` : text;
    const old = f.errors[e.field];
    f.errors[e.field] = text;
    f.summary = f.summary.map((s) => (s.text === old && s.href === `#f-${e.field.replace(/[^A-Za-z0-9_-]/g, '-')}` ? { ...s, text: t } : s));
  }
  // a row's message in the summary says which row
  f.summary = f.summary.map((s) => {
    const row = /^#f-r(\d+)_/.exec(s.href);
    return row && !s.text.startsWith('第') ? { ...s, text: `第${Number(row[1]) + 1}个问题：${s.text}` } : s;
  });
  return f;
}

/**
 * Symposium pages (座谈会, DESIGN §8, issue 10): the list, the form recording a meeting with
 * many issues at once (`recordSymposium`; "add rows" posts the form back without saving, so
 * no JavaScript is needed), more issues for a recorded meeting (`addSymposiumIssues`), and
 * the closed-loop view of every issue's state and answer (`symposiumWithIssues` as
 * `GET /api/v1/symposiums/:id` presents it), printable (the print stylesheet drops the menus
 * and forms). Each form carries a key (`formKey`): the same form posted again (a double click,
 * six tabs) records nothing more and answers as the first post (`once` of the commands). A save
 * redirects (Post/Redirect/Get) to the symposium page, which shows the new issues' access
 * codes once, from a flash in the session; a reload shows them no more.
 */
export function symposiumPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  async function choices() {
    const cats = (await listCategories(deps.db.manager)).filter((c) => c.active);
    const departments = (await listDepartments(deps.db.manager)).filter((d) => d.active && d.code !== 'DIS').map((d) => ({ value: d.code, label: d.nameZh }));
    return { categories: [...cats.filter((c) => c.code !== 'other'), ...cats.filter((c) => c.code === 'other')].map((c) => ({ value: c.code, label: c.nameZh })), departments };
  }

  async function showNew(ctx: Context, form: FormView, status = 200) {
    requireStaff(ctx, 'intake', 'coordinator');
    const rows = rowCount(form.values);
    const values = { hostDepartmentCode: 'SAMR', heldOn: localDate(deps.clock.now(), tz), ...form.values, rows: String(rows), formKey: formKeyOf(form.values) };
    kit.show(ctx, 'work/symposium-new', '登记座谈会', { form: { ...form, values }, rows, step: ROWS, ...(await choices()) }, status);
  }

  async function showOne(ctx: Context, id: string, extra: { added?: IssuesAdded; codesShown?: boolean; form?: FormView } = {}, status = 200) {
    const { actor } = requireStaff(ctx, 'intake', 'coordinator', 'supervisor', 'admin', 'handler');
    const v = presentSymposium(await symposiumWithIssues(deps, actor, id), actor, deps.clock.now());
    const deps_ = await listDepartments(deps.db.manager);
    const name = new Map(deps_.map((d) => [d.code, d.nameZh]));
    const canAdd = actor.role === 'intake' || actor.role === 'coordinator';
    const form = extra.form ?? emptyForm();
    const rows = rowCount(form.values.rows ? form.values : { rows: '3' });
    if (extra.added || extra.codesShown) ctx.set('Cache-Control', 'no-store');
    kit.show(
      ctx,
      'work/symposium',
      v.title,
      {
        s: v,
        printedAt: deps.clock.now(),
        dept: (c: string | null) => (c ? (name.get(c) ?? c) : ''),
        canAdd,
        codes: extra.added ? Object.fromEntries(extra.added.accessCodes) : null,
        added: extra.added ? new Set(extra.added.ticketIds) : null,
        codesShown: !!extra.codesShown,
        answered: v.issues.filter((i) => i.answer).length,
        closed: v.issues.filter((i) => i.state === 'closed').length,
        form: { ...form, values: { ...form.values, rows: String(rows), formKey: formKeyOf(form.values) } },
        rows,
        step: ROWS,
        ...(canAdd ? await choices() : { categories: [], departments: [] }),
      },
      status,
    );
  }

  router.get('/work/symposiums', async (ctx) => {
    const { actor } = requireStaff(ctx, 'intake', 'coordinator', 'supervisor', 'admin');
    const cursor = pageCursor(ctx.query.cursor);
    const page = await listSymposiums(deps, { limit: 50, cursor });
    const name = new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh]));
    kit.show(ctx, 'work/symposiums', '座谈会', {
      items: page.items.map((s) => ({ id: s.id, title: s.title, heldOn: s.heldOn, host: name.get(s.hostDepartmentCode) ?? s.hostDepartmentCode, place: s.place, attendees: s.attendees.length })),
      nextCursor: page.nextCursor,
      canAdd: actor.role === 'intake' || actor.role === 'coordinator',
    });
  });

  router.get('/work/symposiums/new', async (ctx) => showNew(ctx, emptyForm()));

  router.post('/work/symposiums', async (ctx) => {
    const { actor, account } = requireStaff(ctx, 'intake', 'coordinator');
    const v = readForm(ctx);
    if (v.more) return showNew(ctx, emptyForm({ ...v, rows: String(Math.min(MAX_ROWS, rowCount(v) + ROWS)) }));
    const { rows, issues } = issuesFrom(v);
    const input = {
      title: v.title?.trim() ?? '',
      heldOn: v.heldOn?.trim() ?? '',
      hostDepartmentCode: v.hostDepartmentCode || 'SAMR',
      place: opt(v.place),
      attendees: attendeesFrom(v.attendees),
      issues,
    };
    const parsed = SymposiumCreate.safeParse(input);
    const missingCat = issues.flatMap((x, i) => (x.category ? [] : [{ field: `issues.${i}.category`, code: 'invalid_type' }]));
    const errors = [...(parsed.success ? [] : zodErrors(parsed.error, input)), ...missingCat];
    if (!parsed.success || errors.length) return showNew(ctx, symposiumForm(v, toRowFields(errors, rows), rowCount(v)), 400);
    try {
      const added = await recordSymposium(deps, actor, parsed.data, onceOf(account.id, 'new', v, input));
      await redirectWithCodes(ctx, added, 'recorded');
    } catch (e) {
      const f = formFromAppError(e, v, []);
      if (!f || !(e instanceof AppError)) throw e;
      await showNew(
        ctx,
        symposiumForm(
          keyReused(e) ? { ...v, formKey: '' } : v, // a key used with other content: a fresh one, or the form is refused again
          toRowFields(
            e.errors.map((x) => ({ field: x.field, code: x.code })),
            rows,
          ),
          rowCount(v),
          f.problem,
        ),
        e.status,
      );
    }
  });

  /** The symposium page after a save: the new issues' access codes in a one-time flash (a reload shows them no more, records nothing). */
  async function redirectWithCodes(ctx: Context, added: IssuesAdded, done: 'recorded' | 'added') {
    await setFlash(ctx, kit.sessions, { kind: FLASH, symposiumId: added.symposiumId, ticketIds: added.ticketIds, accessCodes: [...added.accessCodes] });
    // its own fragment: the issues form posts to #add, which the browser would carry over to the page with the codes
    redirectDone(ctx, kit, `/work/symposiums/${added.symposiumId}#main`, done);
  }

  router.get('/work/symposiums/:id', async (ctx) => {
    requireStaff(ctx, 'intake', 'coordinator', 'supervisor', 'admin', 'handler');
    const id = ctx.params.id;
    if (!Uuid.safeParse(id).success) throw new AppError(404, 'not-found', 'no such symposium');
    const done = takeDone(ctx, kit)?.done;
    if (done !== 'recorded' && done !== 'added') return showOne(ctx, id);
    const f = await takeFlash(ctx, kit.sessions, FLASH);
    if (f && f.symposiumId === id && Array.isArray(f.ticketIds) && Array.isArray(f.accessCodes)) {
      return showOne(ctx, id, { added: { symposiumId: id, ticketIds: f.ticketIds as string[], accessCodes: new Map(f.accessCodes as [string, string][]) } });
    }
    await showOne(ctx, id, { codesShown: true });
  });

  router.post('/work/symposiums/:id/issues', async (ctx) => {
    const { actor, account } = requireStaff(ctx, 'intake', 'coordinator');
    const id = ctx.params.id;
    if (!Uuid.safeParse(id).success) throw new AppError(404, 'not-found', 'no such symposium');
    const v = readForm(ctx);
    if (v.more) return showOne(ctx, id, { form: emptyForm({ ...v, rows: String(Math.min(MAX_ROWS, rowCount(v) + ROWS)) }) });
    const { rows, issues } = issuesFrom(v);
    const input = { issues };
    const parsed = SymposiumIssues.safeParse(input);
    const missingCat = issues.flatMap((x, i) => (x.category ? [] : [{ field: `issues.${i}.category`, code: 'invalid_type' }]));
    const errors = [...(parsed.success ? [] : zodErrors(parsed.error, input)), ...missingCat];
    if (!issues.length) errors.push({ field: 'issues.0.title', code: 'empty' });
    if (!parsed.success || errors.length) return showOne(ctx, id, { form: symposiumForm(v, toRowFields(errors, rows.length ? rows : [0]), rowCount(v)) }, 400);
    try {
      const added = await addSymposiumIssues(deps, actor, id, parsed.data.issues, onceOf(account.id, `issues:${id}`, v, input));
      await redirectWithCodes(ctx, added, 'added');
    } catch (e) {
      const f = formFromAppError(e, v, []);
      if (!f || !(e instanceof AppError)) throw e;
      await showOne(
        ctx,
        id,
        {
          form: symposiumForm(
            keyReused(e) ? { ...v, formKey: '' } : v, // a key used with other content: a fresh one, or the form is refused again
            toRowFields(
              e.errors.map((x) => ({ field: x.field, code: x.code })),
              rows,
            ),
            rowCount(v),
            f.problem,
          ),
        },
        e.status,
      );
    }
  });
}
