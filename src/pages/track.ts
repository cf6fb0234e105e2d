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
import { formFromAppError, formWithErrors, opt, readForm, readFormChecked, repeatedRefusal, zodErrors } from './forms';
import { receiptCookie } from './submit';
import { deadlineText, formatDeadline, nextStep } from './format';
import { problemMessage } from './messages';
import type { TicketRecord as Ticket } from '../queries/tickets';
import { RATING_LABEL } from '../notifications/labels';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkCanActWithFiles, listTicketAttachments, readAttachment } from '../commands/attachments';
import { presentAttachments } from '../http/presenters';
import { sendAttachment } from '../http/routes/attachments';
import { Uuid } from '../schemas';
import { asciiForm } from '../domain/validators';
import { normalizeAccessCode } from '../commands/access-codes';
import type { StagedFile } from '../uploads/stage';
import { fileRefusalMessage, withFormFiles } from './uploads';
import { flashNotice, PageNotice, seal, setSealedCookie, takeNotice, unseal } from './sealed';

const NUMBER = /^[A-Z]{1,6}\d{10}$/;
const LOOKUP_FIELDS = ['number', 'code'] as const;
const Supplement = z.object({ message: multiline(5000) });
const Rate = z.object({ rating: z.enum(RATINGS), comment: multiline(1000).optional() });
const Withdraw = z.object({ reason: multiline(1000).optional() });

/** How long a file link of the track page works (the page itself is no-store; an hour covers reading it). */
export const FILE_LINK_MS = 3600_000;

/**
 * The signature of a file link for a viewer who unlocked the ticket with its access code:
 * HMAC over the ticket, the file, the expiry and this browser's CSRF binding cookie, so the
 * link neither carries the access code nor works in another browser or after `FILE_LINK_MS`.
 */
const fileMac = (secret: string, binding: string, ticketId: string, fileId: string, exp: number) =>
  createHmac('sha256', secret).update(`track-file|${binding}|${ticketId}|${fileId}|${exp}`).digest('base64url');

/** Which timeline step a file came with (the attachment's context → the event type). */
/**
 * A track page's form sent after the ticket moved on (another window supplemented or rated,
 * the rating window ended): the message shown where the form was, nothing changed.
 */
const STALE_MESSAGE: Record<'supplement' | 'rate' | 'withdraw', string> = {
  supplement: '办理部门现在不再等您补充材料（可能已经在别的窗口补充过了），这次填写的内容没有提交。请看下面的最新进展。',
  rate: '这件工单现在不能评价了（可能已经评价过，或评价期限已过、已自动办结），这次的评价没有提交。',
  withdraw: '这件工单现在不能撤回了，请看下面的最新进展。',
};
/**
 * What the track page says after a form of it went through (a one-time notice of the POST,
 * `takeNotice`): `files` the files supplemented; `reopened` a rating of 不满意/非常不满意, which
 * sends the ticket back to its department as a new cycle (DESIGN §3) — said with the department
 * (`dept`) and the new reply deadline (`replyBy`, already in words) as the POST saw them.
 */
const DONE_NOTICE: Record<string, (n: PageNotice) => string> = {
  supplement: (n) => {
    const files = typeof n.files === 'number' ? n.files : 0;
    return `已经把补充的内容${files > 0 ? `和${files}个文件` : ''}交给办理部门，答复期限恢复计算。`;
  },
  rate: (n) =>
    n.reopened
      ? `谢谢您的评价。您对答复不满意，工单已经退回${n.dept || '办理部门'}重新办理，答复期限重新计算${n.replyBy ? `，最晚在${n.replyBy}答复您` : ''}。新的答复出来后，请您再次评价。`
      : '谢谢您的评价，这件工单已经办结。',
  withdraw: () => '工单已撤回，不再办理。',
};
/** The sealed cookie of a lookup (number and access code, `Path=/track`) and how long it lasts: as long as an idle session. */
const TRACK_COOKIE = 'gt_track';
export const TRACK_MS = 30 * 60_000;
const STEP_OF_CONTEXT: Record<string, string> = { create: 'created', supplement: 'supplemented', reply: 'replied', conclude: 'concluded', decide: 'decided' };

/** A size as people read it: 1.2MB, 350KB. */
const sizeText = (n: number) => (n >= 1048576 ? `${(n / 1048576).toFixed(1)}MB` : `${Math.max(1, Math.round(n / 1024))}KB`);

/** A page refusal decided before any file was stored: what to show instead. */
class Refused extends Error {
  constructor(readonly show: () => Promise<void>) {
    super('refused');
  }
}

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
 * same message; attempts count on the API's limit. Every form that goes through answers 303 to
 * `GET /track?number=…` (post/redirect/get); the number and code travel in a sealed cookie of this
 * browser (`gt_track`, src/pages/sealed.ts), never in the address, and are checked again there.
 */
export function trackPages(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  function showLookup(ctx: Context, form: FormView, status = 200, left = false) {
    kit.show(ctx, 'track/lookup', '查询办理进度', { form, left }, status);
  }

  /** The ticket for this request: by code (counted on the limit) or as the signed-in submitter; null = show the lookup form. */
  async function resolve(ctx: Context, v: Record<string, string>): Promise<{ t: Ticket; actor: Actor; code: string | null } | FormView> {
    // full-width letters and digits (a Chinese input method) read as ASCII
    const number = asciiForm(v.number ?? '', 'alphanumeric')
      .trim()
      .toUpperCase();
    const code = normalizeAccessCode(v.code ?? '');
    const errors = [];
    if (!number) errors.push({ field: 'number', code: 'empty' });
    else if (!NUMBER.test(number)) errors.push({ field: 'number', code: 'invalid_format' });
    const account = pageState(ctx).account;
    if (account && !code && !errors.length) {
      try {
        const t = await findVisibleByNumber(deps.db.manager, actorOf(ctx), number);
        return { t, actor: actorOf(ctx), code: null };
      } catch {
        /* not theirs: ask for the code */
      }
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

  /** `resolve` once per request (a multipart form resolves in its precheck, before the files): one attempt counted. */
  const resolveOnce = async (ctx: Context, v: Record<string, string>): Promise<Awaited<ReturnType<typeof resolve>>> => {
    ctx.state.trackResolved ??= await resolve(ctx, v);
    return ctx.state.trackResolved;
  };

  /**
   * The files of the ticket this viewer may read (what `GET /track/:number/attachments` lists:
   * not the internal ones), with their links: signed for a viewer with the code, plain for the
   * signed-in submitter (the session is the authority). Grouped by the timeline step they came with.
   */
  async function filesOf(ctx: Context, t: Ticket, actor: Actor, code: string | null) {
    const list = presentAttachments(await listTicketAttachments(deps, actor, t.id), actor).items;
    const exp = deps.clock.now().getTime() + FILE_LINK_MS;
    const binding = ctx.state.csrfBinding as string;
    return list.map((a) => {
      const sig = code ? `?t=${exp}.${fileMac(deps.config.jwtSecret, binding, t.id, a.id, exp)}` : '';
      const base = `/track/files/${t.id}/${a.id}`;
      return {
        id: a.id,
        name: a.name,
        size: sizeText(a.size),
        kind: a.kind,
        href: `${base}${sig}`,
        preview: a.preview ? `${base}/preview${sig}` : null,
        step: STEP_OF_CONTEXT[a.context] ? `${STEP_OF_CONTEXT[a.context]}|${a.attachedAt}` : null,
        by: a.by,
      };
    });
  }

  async function showTicket(ctx: Context, t: Ticket, actor: Actor, code: string | null, extra: { notice?: string; forms?: Record<string, FormView>; filesDropped?: boolean } = {}, status = 200) {
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const view = presentTracked(t, await publicAnswers(deps.db.manager, t.id), await publicTimeline(deps.db.manager, t.id));
    const departments = new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh]));
    const info = view.timeline.filter((s) => s.type === 'info_requested').at(-1);
    const files = await filesOf(ctx, t, actor, code);
    const steps = new Set(view.timeline.map((s) => `${s.type}|${new Date(s.at).toISOString()}`));
    const { limits } = deps.uploads;
    ctx.set('Cache-Control', 'no-store');
    kit.show(
      ctx,
      'track/ticket',
      `工单 ${t.number}`,
      {
        t: view,
        code,
        signedIn: !code,
        departments: Object.fromEntries(departments),
        filesAt: (s: { type: string; at: Date | string }) => files.filter((f) => f.step === `${s.type}|${new Date(s.at).toISOString()}`),
        otherFiles: files.filter((f) => !f.step || !steps.has(f.step)),
        files: { maxFiles: limits.maxFiles, maxMb: Math.floor(limits.maxBytes / 1048576), dropped: !!extra.filesDropped },
        next: nextStep(t, now, cal, tz),
        replyBy: deadlineText(t.replyBy, now, cal, tz),
        rateBy: deadlineText(t.rateBy, now, cal, tz),
        actions: actionsFor(t, actor),
        infoRequest: info?.text ?? null,
        forms: { supplement: emptyForm(), rate: emptyForm(), withdraw: emptyForm(), ...(extra.forms ?? {}) },
        notice: extra.notice ?? null,
        ratings: RATINGS.map((r) => ({ value: r, label: RATING_LABEL[r] })),
      },
      status,
    );
  }

  /** The sealed cookie that carries the number and access code from a POST to `GET /track?number=` (post/redirect/get). */
  const grant = (ctx: Context, number: string, code: string) =>
    setSealedCookie(
      ctx,
      TRACK_COOKIE,
      '/track',
      seal(deps.config.jwtSecret, 'track', ctx.state.csrfBinding as string, { number, code }, deps.clock.now().getTime() + TRACK_MS),
      kit.cookie,
      TRACK_MS / 1000,
    );
  /** After a form of the track page: 303 to the ticket's GET page (a reload re-posts nothing); the access code goes in the cookie only. */
  const toTicket = (ctx: Context, number: string, code: string | null, done?: { done: string; files: number; [k: string]: string | number }) => {
    if (code) grant(ctx, number, code);
    // the notice of what went through: one-time and sealed for this browser, never in the address
    if (done) flashNotice(ctx, kit, { to: '/track', number, ...done });
    ctx.redirect(`/track?number=${encodeURIComponent(number)}`);
    ctx.status = 303;
  };
  /** A bad rating sent the ticket back: to whom, and the new reply deadline in words (for the notice). */
  const reopenedNotice = async (t: { departmentCode: string | null; replyBy: Date | null }) => ({
    reopened: 1,
    dept: (await listDepartments(deps.db.manager)).find((d) => d.code === t.departmentCode)?.nameZh ?? '',
    replyBy: t.replyBy ? formatDeadline(t.replyBy, tz) : '',
  });
  /** The notice the POST that just went through left for this ticket's page (once), in words. */
  const noticeFor = (ctx: Context, number: string) => {
    const n = takeNotice(ctx, kit, (x) => x.number === number && Object.hasOwn(DONE_NOTICE, x.done));
    return n ? DONE_NOTICE[n.done](n) : undefined;
  };

  router.get('/track', async (ctx) => {
    const number = typeof ctx.query.number === 'string' ? ctx.query.number.trim().toUpperCase() : '';
    // the number and the code of a lookup just made in this browser (sealed cookie); the code is checked again.
    // It comes before the session: whoever typed the code sees what the code opens (as the POST showed it
    // before post/redirect/get), also in a browser where staff are signed in (their session sees no owner forms)
    const g = NUMBER.test(number)
      ? unseal<{ number: string; code: string }>(deps.config.jwtSecret, 'track', ctx.state.csrfBinding as string, ctx.cookies.get(TRACK_COOKIE), deps.clock.now().getTime())
      : null;
    if (g && g.number === number) {
      try {
        const t = await unlockTicket(deps.db.manager, deps.config.jwtSecret, number, g.code);
        return await showTicket(ctx, t, { kind: 'access_code', ticketId: t.id }, g.code, { notice: noticeFor(ctx, number) });
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'not-found')) throw e;
        setSealedCookie(ctx, TRACK_COOKIE, '/track', '', kit.cookie, 0); // the code no longer opens it
      }
    }
    if (number && pageState(ctx).account && NUMBER.test(number)) {
      try {
        const t = await findVisibleByNumber(deps.db.manager, actorOf(ctx), number);
        return await showTicket(ctx, t, actorOf(ctx), null, { notice: noticeFor(ctx, number) });
      } catch (e) {
        if (!(e instanceof AppError && e.code === 'not-found')) throw e;
      }
    }
    // after 退出查看 (once): say that this browser keeps no code now
    const left = !number && !!takeNotice(ctx, kit, (x) => x.done === 'left-track');
    showLookup(ctx, emptyForm({ number, code: '' }), 200, left);
  });

  /**
   * 退出查看: this browser forgets the number and code of the lookup (`gt_track`), for a phone or
   * computer that is not the submitter's own; the ticket opens again only with the code typed.
   * Then the lookup page, saying so once.
   */
  router.post('/track/leave', async (ctx) => {
    setSealedCookie(ctx, TRACK_COOKIE, '/track', '', kit.cookie, 0);
    // the receipt of that ticket too, if this browser submitted it (its cookie is not sent here: Path=/submit/receipt)
    const number = readForm(ctx).number ?? '';
    if (NUMBER.test(number)) setSealedCookie(ctx, receiptCookie(number), '/submit/receipt', '', kit.cookie, 0);
    flashNotice(ctx, kit, { to: '/track', done: 'left-track' });
    ctx.redirect('/track');
    ctx.status = 303;
  });

  /** The lookup form again for a number or code sent twice (the message next to it). */
  const lookupRepeated = (ctx: Context, values: Record<string, string>, errors: { field: string; code: string }[]) =>
    showLookup(ctx, formWithErrors({ number: values.number ?? '', code: '' }, errors, LOOKUP_FIELDS), 400);

  router.post('/track', async (ctx) => {
    const { values, repeated } = readFormChecked(ctx);
    if (repeated.length) return lookupRepeated(ctx, values, repeated);
    const r = await resolve(ctx, values);
    if ('values' in r) return showLookup(ctx, r, r.problem?.includes('分钟') ? 429 : 400);
    toTicket(ctx, r.t.number, r.code);
  });

  /**
   * One action form on the track page: resolve the viewer again, validate, act, show the
   * ticket. The supplement form may carry files (multipart, the file input last): the token,
   * the viewer, the message and the action are checked before the first file is stored; a
   * refused file is shown next to the file field with the message kept.
   */
  function actionRoute<S extends z.ZodType>(
    path: string,
    form: 'supplement' | 'rate' | 'withdraw',
    schema: S,
    fields: readonly string[],
    toInput: (d: z.infer<S>) => Parameters<typeof actOnTicket>[3],
  ) {
    const parse = (v: Record<string, string>): { data: z.infer<S> } | { form: FormView } => {
      const raw = { message: v.message, rating: v.rating, comment: opt(v.comment), reason: opt(v.reason) };
      const parsed = schema.safeParse(
        Object.fromEntries(
          Object.entries(raw)
            .filter(([k]) => fields.includes(k))
            .map(([k, x]) => [k, k === 'message' ? (x ?? '') : x]),
        ),
      );
      return parsed.success ? { data: parsed.data } : { form: formWithErrors(v, zodErrors(parsed.error), fields) };
    };
    /** A form of a page that is out of date (the ticket moved on: 409) says so in the owner's words. */
    const staleForm = (f: FormView | null, e: unknown): FormView | null => (f && e instanceof AppError && e.code === 'illegal-transition' ? { ...f, problem: STALE_MESSAGE[form] } : f);
    router.post(path, async (ctx) => {
      let posted: Record<string, string> = {};
      const precheck =
        form === 'supplement'
          ? async (v: Record<string, string>) => {
              posted = v;
              const r = await resolveOnce(ctx, v);
              if ('values' in r) throw new Refused(() => Promise.resolve(showLookup(ctx, r, 400)));
              const p = parse(v);
              if ('form' in p) throw new Refused(() => showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: p.form }, filesDropped: true }, 400));
              try {
                await checkCanActWithFiles(deps, r.actor, r.t.id, 'supplement');
              } catch (e) {
                const f = staleForm(formFromAppError(e, v, fields), e);
                if (!f) throw e;
                throw new Refused(() => showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: f }, filesDropped: true }, (e as AppError).status));
              }
            }
          : null;
      const act = async (v: Record<string, string>, files: StagedFile[]) => {
        posted = v;
        const r = await resolveOnce(ctx, v);
        if ('values' in r) return showLookup(ctx, r, 400);
        const p = parse(v);
        if ('form' in p) return showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: p.form }, filesDropped: files.length > 0 }, 400);
        try {
          const after = await actOnTicket(deps, r.actor, r.t.id, toInput(p.data), undefined, files);
          toTicket(ctx, r.t.number, r.code, { done: form, files: files.length, ...(form === 'rate' && after.state !== 'closed' ? await reopenedNotice(after) : {}) });
        } catch (e) {
          if (fileRefusalMessage(e, deps.uploads.limits)) throw e;
          const f = staleForm(formFromAppError(e, v, fields), e);
          if (!f) throw e;
          await showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: f }, filesDropped: files.length > 0 }, (e as { status: number }).status);
        }
      };
      try {
        await withFormFiles(ctx, kit, precheck, act);
      } catch (e) {
        if (e instanceof Refused) return e.show();
        // a field sent twice: the number or code → the lookup form; a field of the action → the ticket with the form again
        const repeated = repeatedRefusal(ctx, e);
        if (repeated) {
          const ofLookup = repeated.errors.filter((x) => (LOOKUP_FIELDS as readonly string[]).includes(x.field));
          if (ofLookup.length) return lookupRepeated(ctx, repeated.values, ofLookup);
          const r = await resolveOnce(ctx, repeated.values);
          if ('values' in r) return showLookup(ctx, r, 400);
          return showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: formWithErrors(repeated.values, repeated.errors, fields) } }, 400);
        }
        const msg = fileRefusalMessage(e, deps.uploads.limits);
        if (!msg) throw e;
        if ((e as AppError).code === 'request-too-large') ctx.set('Connection', 'close');
        const r = ctx.state.trackResolved as Awaited<ReturnType<typeof resolve>> | undefined;
        if (!r || 'values' in r) return showLookup(ctx, { ...emptyForm({ number: posted.number ?? '', code: '' }), problem: msg }, (e as AppError).status);
        const f = formWithErrors(posted, [], fields);
        f.errors.file = msg;
        f.summary.push({ href: '#f-file', text: msg });
        await showTicket(ctx, r.t, r.actor, r.code, { forms: { [form]: f }, filesDropped: true }, (e as AppError).status);
      }
    });
  }
  actionRoute('/track/supplement', 'supplement', Supplement, ['message', 'file'], (d) => ({ action: 'supplement', message: d.message }));
  actionRoute('/track/rate', 'rate', Rate, ['rating', 'comment'], (d) => ({ action: 'rate', rating: d.rating, comment: d.comment }));
  actionRoute('/track/withdraw', 'withdraw', Withdraw, ['reason'], (d) => ({ action: 'withdraw', reason: d.reason }));

  /**
   * A file of the track page, as the API sends it (`Content-Disposition: attachment`, previews
   * inline): `?t=` a link signed for this browser after the access code (see {@link fileMac}), or
   * the signed-in submitter. A wrong signature, another browser, or a file the viewer may not
   * read: 404; an expired link: 403 `file-link-expired` (query the ticket again).
   */
  for (const part of ['file', 'preview'] as const) {
    router.get(`/track/files/:ticketId/:fileId${part === 'preview' ? '/preview' : ''}`, async (ctx) => {
      const { ticketId, fileId } = ctx.params;
      if (!Uuid.safeParse(ticketId).success || !Uuid.safeParse(fileId).success) throw new AppError(404, 'not-found', 'no such file');
      let actor = actorOf(ctx);
      const sig = typeof ctx.query.t === 'string' ? /^(\d{13})\.([A-Za-z0-9_-]{43})$/.exec(ctx.query.t) : null;
      if (sig) {
        const expected = Buffer.from(fileMac(deps.config.jwtSecret, String(ctx.state.csrfBinding), ticketId, fileId, Number(sig[1])));
        const given = Buffer.from(sig[2]);
        if (ctx.state.csrfFresh || expected.length !== given.length || !timingSafeEqual(expected, given)) throw new AppError(404, 'not-found', 'no such file');
        if (Number(sig[1]) < deps.clock.now().getTime()) throw new AppError(403, 'file-link-expired', 'the file link has expired; open the ticket again');
        actor = { kind: 'access_code', ticketId };
      }
      sendAttachment(ctx, await readAttachment(deps, actor, ticketId, fileId, part), part);
    });
  }
}
