import type Router from '@koa/router';
import type { Context } from 'koa';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { PageKit } from './kit';
import { actorOf, pageState } from './kit';
import { TicketCreate } from '../schemas';
import { createTicketOnce } from '../commands/idempotency';
import { listCategories, listDepartments } from '../queries/reference';
import { findNotice, noticeView } from '../queries/result-notices';
import { receiptText } from '../queries/tracking';
import { presentTicket } from '../http/presenters';
import { emptyForm, FormView } from './render';
import { BAD_FORM_KEY, FORM_KEY, formFromAppError, formWithErrors, opt, readFormChecked, repeatedRefusal, zodErrors } from './forms';
import { deadlineText } from './format';
import { DEMAND_LABEL } from '../notifications/labels';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { AppError } from '../errors';
import { ROLE_STAFF_NOTE } from './texts';
import { fileRefusalMessage, withFormFiles } from './uploads';
import type { StagedFile } from '../uploads/stage';
import { seal, setSealedCookie, unseal } from './sealed';

const CONTACT = ['owner.name', 'owner.phone', 'owner.businessName', 'owner.creditCode', 'owner.email'] as const;
// the file input last: the browser sends the fields in document order, and they are checked before the first file is stored
const COMPLAINT_FIELDS = ['kind', 'category', 'title', 'description', 'anonymous', ...CONTACT, 'file'] as const;
const INTEGRITY_FIELDS = ['accused.departmentCode', 'accused.demand', 'accused.amountYuan', 'accused.occurredOn', 'accused.person', 'title', 'description', 'anonymous', ...CONTACT, 'file'] as const;
const OBJECTION_FIELDS = ['resultEntryId', 'description', ...CONTACT] as const;
/** A command's error on `owner` (e.g. an objection without a name) is shown at the name field. */
const ALIAS = { owner: 'owner.name', accused: 'accused.departmentCode', resultNoticeId: 'resultEntryId', subjectCreditCode: 'resultEntryId' };

/** The contact fields of a form, as `owner` of `POST /tickets` (absent when anonymous or signed in). */
function contactFrom(v: Record<string, string>) {
  return {
    name: v['owner.name']?.trim() ?? '',
    phone: v['owner.phone']?.trim() ?? '',
    creditCode: opt(v['owner.creditCode'])?.toUpperCase(),
    businessName: opt(v['owner.businessName']),
    email: opt(v['owner.email']),
  };
}

/**
 * The submit pages (issue 9 §2): a complaint or suggestion (category by plain names), an
 * integrity report (accused department, what was demanded, amount, date; the promise of
 * DESIGN §7), an objection to an open result notice (real name). Each posts to the same
 * create command as `POST /api/v1/tickets`, once per form (the form's key is the
 * Idempotency-Key: a second tap shows the same receipt), and answers 303 to the receipt page
 * (`GET /submit/receipt?number=`, post/redirect/get: what it shows, the access code included, in a
 * sealed cookie of this browser, never in the address; src/pages/sealed.ts).
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
  const withKey = (v: Record<string, string>) => ({ ...v, formKey: v.formKey && FORM_KEY.test(v.formKey) ? v.formKey : randomUUID() });
  const { limits } = deps.uploads;
  const fileBounds = { maxFiles: limits.maxFiles, maxMb: Math.floor(limits.maxBytes / 1048576) };

  /** `filesDropped`: the form came back with an error after files were chosen (a browser cannot keep them: choose again). */
  async function showComplaint(ctx: Context, form: FormView, status = 200, filesDropped = false) {
    kit.show(
      ctx,
      'submit/complaint',
      '反映问题 / 提建议',
      { form: { ...form, values: withKey(form.values) }, categories: await categories(), staffNote: ROLE_STAFF_NOTE, files: { ...fileBounds, dropped: filesDropped } },
      status,
    );
  }
  async function showIntegrity(ctx: Context, form: FormView, status = 200, filesDropped = false) {
    const demands = Object.entries(DEMAND_LABEL).map(([value, label]) => ({ value, label }));
    kit.show(
      ctx,
      'submit/integrity',
      '举报违规收费、摊派、索要财物',
      {
        form: { ...form, values: withKey(form.values) },
        departments: await departments(),
        demands,
        today: new Date(deps.clock.now()).toISOString().slice(0, 10),
        files: { ...fileBounds, dropped: filesDropped },
      },
      status,
    );
  }

  type Again = (form: FormView, status: number, filesDropped?: boolean) => Promise<void>;
  type Built = { input: Record<string, unknown>; extra?: { field: string; code: string }[] };

  /** The form's input checked with the API's schema: the parsed create, or the form with its errors. */
  function check(v: Record<string, string>, b: Built, order: readonly string[]): { form: FormView } | { data: z.infer<typeof TicketCreate> } {
    const parsed = TicketCreate.safeParse(b.input);
    const errors = [...(parsed.success ? [] : zodErrors(parsed.error, b.input)), ...(b.extra ?? [])];
    // a form key sent but not one this page writes (a changed or cut uuid) is refused: read as another key, or
    // replaced by a fresh one, it would let the same form be created twice (docs/decisions/security.md)
    const badKey = !!v.formKey && !FORM_KEY.test(v.formKey);
    if (!parsed.success || errors.length || badKey) return { form: formWithErrors(v, errors, order, { alias: ALIAS, problem: badKey ? BAD_FORM_KEY : undefined }) };
    return { data: parsed.data };
  }

  /**
   * A submit form that may carry files (multipart, the file input last): the CSRF token and the
   * fields are checked before the first file is stored, so a refused form stores nothing; a
   * refused file (too big, a type not accepted…) comes back next to the file field with the
   * other fields kept. Without files (or URL-encoded) it is the same form.
   */
  async function submitWithFiles(ctx: Context, build: (v: Record<string, string>) => Built, order: readonly string[], again: Again) {
    let posted: Record<string, string> = {};
    let hadFiles = false;
    try {
      await withFormFiles(
        ctx,
        kit,
        async (fields) => {
          posted = fields;
          hadFiles = true;
          const r = check(fields, build(fields), order);
          if ('form' in r) throw new FormRefused(r.form);
        },
        async (fields, files) => {
          posted = fields;
          await submit(ctx, fields, build(fields), order, again, files);
        },
      );
    } catch (e) {
      if (e instanceof FormRefused) return again(e.form, 400, true);
      // a field sent twice: the form again with the message next to it, nothing created
      const repeated = repeatedRefusal(ctx, e);
      if (repeated) return again(formWithErrors(repeated.values, repeated.errors, order, { alias: ALIAS }), 400, hadFiles);
      const msg = fileRefusalMessage(e, limits);
      if (!msg) throw e;
      const err = e as AppError;
      if (err.code === 'request-too-large') ctx.set('Connection', 'close'); // the rest of the request is not read
      const form = formWithErrors(posted, [], order);
      form.errors.file = msg;
      form.summary.push({ href: '#f-file', text: msg });
      await again(form, err.status, hadFiles);
    }
  }

  /** Validates with the API's schema, creates once (with the staged files), renders the receipt; else the form with its errors. */
  async function submit(ctx: Context, v: Record<string, string>, b: Built, order: readonly string[], again: Again, files: readonly StagedFile[] = []) {
    const checked = check(v, b, order);
    if ('form' in checked) return again(checked.form, 400, files.length > 0);
    const input = b.input;
    const actor = actorOf(ctx);
    const a = pageState(ctx).account;
    const now = deps.clock.now();
    try {
      const r = await createTicketOnce(deps, actor, {
        // no key sent (a form not from this page): created without one, as the API without Idempotency-Key
        key: v.formKey ? `page:${v.formKey}` : undefined,
        scope: a ? `user:${a.id}` : `client:${ctx.ip}`,
        rawBody: input,
        input: checked.data,
        present: (t) => presentTicket(t, actor, { now }),
        files,
      });
      const body = r.body as ReturnType<typeof presentTicket> & { accessCode?: string };
      // Post/redirect/get: the receipt goes to its GET page in a sealed cookie, never in the address (it holds the access code)
      const receipt: Receipt = {
        number: body.number,
        kind: body.kind,
        replyBy: body.deadlines?.replyBy ? new Date(body.deadlines.replyBy).toISOString() : null,
        heldForHigher: body.kind === 'integrity_report' && body.accused?.departmentCode === DISCIPLINE_DEPARTMENT,
        accessCode: body.accessCode ?? null,
        texted: body.accessCode ? await textedReceipt(body.id) : null,
        files: receiptFiles(r.replayed ? [] : files),
      };
      const sealed = seal(deps.config.jwtSecret, 'receipt', ctx.state.csrfBinding as string, receipt, now.getTime() + RECEIPT_MS);
      setSealedCookie(ctx, receiptCookie(body.number), '/submit/receipt', sealed, kit.cookie, RECEIPT_MS / 1000);
      ctx.redirect(`/submit/receipt?number=${encodeURIComponent(body.number)}`);
      ctx.status = 303;
    } catch (e) {
      if (fileRefusalMessage(e, limits)) throw e; // shown at the file field by submitWithFiles
      const form = formFromAppError(e, v, order, ALIAS);
      if (!form) throw e;
      await again(form, (e as { status: number }).status, files.length > 0);
    }
  }

  /** The text with the number and the access code, if one was written for this ticket (the receipt says so instead of "lost for good"). */
  async function textedReceipt(ticketId: string): Promise<Receipt['texted']> {
    const sms = await receiptText(deps.db.manager, ticketId);
    return sms ? { to: sms.to, notBefore: sms.notBefore?.toISOString() ?? null } : null;
  }

  /** The receipt of a form just sent (its POST answered 303 here): what the sealed cookie holds, shown until it expires; a reload repeats nothing. */
  router.get('/submit/receipt', async (ctx) => {
    const number = typeof ctx.query.number === 'string' && NUMBER.test(ctx.query.number) ? ctx.query.number : null;
    const now = deps.clock.now();
    const r = number ? unseal<Receipt>(deps.config.jwtSecret, 'receipt', ctx.state.csrfBinding as string, ctx.cookies.get(receiptCookie(number)), now.getTime()) : null;
    if (!r || r.number !== number) throw new AppError(410, 'receipt-gone', 'the receipt is shown only shortly after submitting, in the same browser');
    const cal = await deps.calendar.get(deps.db.manager);
    ctx.set('Cache-Control', 'no-store');
    kit.show(ctx, 'submit/receipt', '已经收到', {
      ticket: { number: r.number, kind: r.kind },
      accessCode: r.accessCode,
      texted: r.texted ? { to: r.texted.to, notBefore: r.texted.notBefore ? new Date(r.texted.notBefore) : null } : null,
      replyBy: deadlineText(r.replyBy, now, cal, deps.config.businessTz),
      heldForHigher: r.heldForHigher,
      files: r.files,
    });
  });

  router.get('/submit/complaint', async (ctx) => showComplaint(ctx, emptyForm({ kind: ctx.query.kind === 'suggestion' ? 'suggestion' : 'complaint' })));
  router.post('/submit/complaint', async (ctx) => {
    const signedIn = !!pageState(ctx).account;
    await submitWithFiles(
      ctx,
      (v) => {
        const anonymous = v.anonymous === '1';
        const input = {
          kind: v.kind === 'suggestion' ? 'suggestion' : v.kind === 'complaint' ? 'complaint' : v.kind,
          channel: 'web',
          title: v.title?.trim() ?? '',
          description: v.description ?? '',
          category: opt(v.category),
          ...(anonymous ? { anonymous: true } : signedIn ? {} : { owner: contactFrom(v) }),
        };
        return { input, extra: input.category ? [] : [{ field: 'category', code: 'invalid_type' }] };
      },
      COMPLAINT_FIELDS,
      (f, s, d) => showComplaint(ctx, f, s, d),
    );
  });

  router.get('/submit/integrity', async (ctx) => showIntegrity(ctx, emptyForm()));
  router.post('/submit/integrity', async (ctx) => {
    const signedIn = !!pageState(ctx).account;
    await submitWithFiles(
      ctx,
      (v) => {
        const anonymous = v.anonymous === '1';
        return {
          input: {
            kind: 'integrity_report',
            channel: 'web',
            title: v.title?.trim() ?? '',
            description: v.description ?? '',
            accused: {
              departmentCode: v['accused.departmentCode'] ?? '',
              demand: v['accused.demand'],
              person: opt(v['accused.person']),
              amountYuan: opt(v['accused.amountYuan'])?.replace(/元$/, ''),
              occurredOn: v['accused.occurredOn']?.trim() ?? '',
            },
            ...(anonymous ? { anonymous: true } : signedIn ? {} : { owner: contactFrom(v) }),
          },
        };
      },
      INTEGRITY_FIELDS,
      (f, s, d) => showIntegrity(ctx, f, s, d),
    );
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
    const { values: v, repeated } = readFormChecked(ctx);
    if (repeated.length) return showObjection(ctx, ctx.params.id, formWithErrors(v, repeated, OBJECTION_FIELDS, { alias: ALIAS }), 400);
    const signedIn = !!pageState(ctx).account;
    const cal = await deps.calendar.get(deps.db.manager);
    const notice = await noticeView(deps.db.manager, await findNotice(deps.db.manager, ctx.params.id), actorOf(ctx), cal, deps.config.businessTz, deps.clock.now());
    const entry = notice.entries.find((e) => e.id === v.resultEntryId);
    const input = {
      kind: 'objection',
      channel: 'web',
      title: `对《${notice.title}》中“${entry?.businessName ?? '名单'}”的异议`.slice(0, 200),
      description: v.description ?? '',
      resultNoticeId: notice.id,
      resultEntryId: opt(v.resultEntryId),
      ...(signedIn ? {} : { owner: contactFrom(v) }),
    };
    const extra = v.resultEntryId ? [] : [{ field: 'resultEntryId', code: 'required' }];
    await submit(ctx, v, { input, extra }, OBJECTION_FIELDS, (f, s) => showObjection(ctx, ctx.params.id, f, s));
  });
}

/** How long the receipt page can be reloaded after submitting (the sealed cookie's life). */
export const RECEIPT_MS = 30 * 60_000;
const NUMBER = /^[A-Z]{1,6}\d{10}$/;
/** One cookie per receipt (`Path=/submit/receipt`): two tabs that each submitted keep their own. */
/** The receipt's sealed cookie of a ticket number (Path=/submit/receipt); also deleted by 退出查看 (src/pages/track.ts). */
export const receiptCookie = (number: string) => `gt_receipt_${number}`;

/** What the receipt page shows, sealed in its cookie (see src/pages/sealed.ts). */
interface Receipt {
  number: string;
  kind: string;
  replyBy: string | null;
  heldForHigher: boolean;
  /** once, for an account-less submitter; only ever in the sealed cookie, never in an address */
  accessCode: string | null;
  /** the SMS carrying the number and the code (`receiptText`): the masked phone, and when quiet hours hold it (ISO) */
  texted: { to: string; notBefore: string | null } | null;
  files: { count: number; names: string[] };
}

/** The files received, named as far as a cookie has room (each name cut to 60 characters, about 1,000 in all). */
function receiptFiles(files: readonly { name: string }[]): Receipt['files'] {
  const names: string[] = [];
  let room = 1000;
  for (const f of files) {
    const n = Array.from(f.name).slice(0, 60).join('');
    room -= Buffer.byteLength(n) + 3;
    if (room < 0) break;
    names.push(n);
  }
  return { count: files.length, names };
}

/** A form refused before any file was stored: shown again with its messages. */
class FormRefused extends Error {
  constructor(readonly form: FormView) {
    super('form refused');
  }
}
