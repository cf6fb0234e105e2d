import type Router from '@koa/router';
import { z } from 'zod';
import type { Context } from 'koa';
import type { PageKit } from './kit';
import { actorOf, pageState, requireAccount } from './kit';
import { changePassword, checkCredentials, OwnerPasswordReset, OwnerRegistration, Password, registerOwner, resetOwnerPassword } from '../commands/accounts';
import { requestVerificationCode } from '../commands/phone-verification';
import { isValidMobile, maskPhone } from '../domain/validators';
import { LoginName, Mobile } from '../schemas';
import { listTickets } from '../queries/tickets';
import { codeLimits, loginLimits, ownerFormLimit, takeAttempt } from '../http/limiter';
import { emptyForm } from './render';
import { formFromAppError, formWithErrors, opt, readFormChecked, safeNext, zodErrors } from './forms';
import { signIn, signOut } from './session';
import { redirectDone, takeDone } from './sealed';
import { SIGN_IN_REFUSED, VERIFICATION_CODE_MESSAGES } from './messages';
import { presentTicket } from '../http/presenters';
import { nextStep } from './format';
import { AppError } from '../errors';

const REGISTER_FIELDS = ['code', 'name', 'phone', 'password', 'passwordConfirm', 'businessName', 'creditCode', 'email'] as const;
const RESET_FIELDS = ['code', 'newPassword', 'passwordConfirm'] as const;
const PHONE_FIELDS = ['phone'] as const;
const SIGN_IN_FIELDS = ['phone', 'password'] as const;
const PASSWORD_FIELDS = ['currentPassword', 'newPassword', 'passwordConfirm'] as const;

/** Where to go after signing in: a same-site relative path only (`safeNext`), else the account's home. */
const localPath = (s: string | undefined) => safeNext(s) ?? '/account';

/**
 * The owner's account pages (issue 9 §5): register, sign in with phone and password, sign
 * out, my tickets (state and next deadline), change password. Sign-in counts attempts on the
 * same limits as `POST /api/v1/auth/login`.
 */
export function accountPages(router: Router, kit: PageKit) {
  const { deps } = kit;

  router.get('/account/sign-in', async (ctx) => {
    kit.show(ctx, 'account/sign-in', '登录', { form: emptyForm(), next: localPath(ctx.query.next as string | undefined), reset: takeDone(ctx, kit)?.done === 'password-reset' });
  });

  router.post('/account/sign-in', async (ctx) => {
    const { values: v, repeated } = readFormChecked(ctx);
    const next = localPath(v.next);
    const show = (form: ReturnType<typeof emptyForm>, status: number) => kit.show(ctx, 'account/sign-in', '登录', { form: { ...form, values: { phone: v.phone ?? '' } }, next }, status);
    if (repeated.length) return show(formWithErrors(v, repeated, SIGN_IN_FIELDS), 400);
    const missing = SIGN_IN_FIELDS.filter((f) => !opt(v[f])).map((f) => ({ field: f, code: 'empty' }));
    if (missing.length) return show(formWithErrors(v, missing, SIGN_IN_FIELDS), 400);
    // a phone typed with full-width digits is the same username (usernames are ASCII; the password is read as typed);
    // a look-alike (①3812345678) is no username: refused as badly formed, never tried
    const name = LoginName.safeParse((v.phone ?? '').trim());
    if (!name.success) return show(formWithErrors(v, [{ field: 'phone', code: 'login_name' }], SIGN_IN_FIELDS), 400);
    const username = name.data;
    const limit = loginLimits(username, ctx.ip);
    try {
      await takeAttempt(ctx, kit.attempts, limit.limits, 'too many failed sign-ins; try again later');
      const u = await checkCredentials(deps.db, username.slice(0, 64), v.password.slice(0, 128));
      await limit.onSuccess(kit.attempts);
      await signIn(ctx, kit.sessions, u.id, kit.cookie);
      // Owners start at their tickets, staff at their role's home in the workbench (issue 10).
      ctx.redirect(u.role !== 'owner' && next === '/account' ? '/work' : next);
      ctx.status = 303;
    } catch (e) {
      const form = formFromAppError(e, v, SIGN_IN_FIELDS);
      if (!form) throw e;
      if (e instanceof AppError && e.code === 'invalid-credentials') form.problem = SIGN_IN_REFUSED[isValidMobile(username) ? 'phone' : 'username'];
      show(form, (e as { status: number }).status);
    }
  });

  router.post('/account/sign-out', async (ctx) => {
    await signOut(ctx, kit.sessions, kit.cookie);
    ctx.redirect('/');
    ctx.status = 303;
  });

  /**
   * Registration and password reset in two steps, each a plain form (works without
   * JavaScript; issue 11): the phone → a code by SMS (`requestVerificationCode`, the same
   * limits as the API) → 303 to the second step, which carries the phone in the address;
   * the code with the rest of the form. The second step says the same whether or not the
   * number has an account.
   */
  const codeStep = (path: string, purpose: 'register' | 'reset', template: string, title: string) => {
    router.post(`${path}/code`, async (ctx) => {
      const { values: v, repeated } = readFormChecked(ctx);
      const typed = v.phone?.trim() ?? '';
      const show = (form: ReturnType<typeof emptyForm>, status: number) => kit.show(ctx, template, title, { form, step: 'phone' }, status);
      if (repeated.length) return show(formWithErrors(v, repeated, PHONE_FIELDS), 400);
      const parsed = Mobile.safeParse(typed);
      if (!parsed.success)
        return show(
          formWithErrors(
            v,
            zodErrors(parsed.error, { phone: typed }).map((e) => ({ ...e, field: 'phone' })),
            PHONE_FIELDS,
          ),
          400,
        );
      // the number as the schema reads it (full-width digits as ASCII): the code goes to it
      const phone = parsed.data;
      try {
        await takeAttempt(ctx, kit.attempts, codeLimits(phone, ctx.ip, deps.config.smsCodeMaxPerClient), 'too many verification codes requested; try again later');
        await requestVerificationCode(deps.db, deps.config.jwtSecret, phone, purpose, deps.clock.now());
      } catch (e) {
        const form = formFromAppError(e, v, PHONE_FIELDS);
        if (!form) throw e;
        return show(form, (e as { status: number }).status);
      }
      ctx.redirect(`${path}?phone=${encodeURIComponent(phone)}`);
      ctx.status = 303;
    });
  };
  /** The step the address asks for: the second one for a valid phone in `?phone=`, else the first. */
  const stepOf = (ctx: Context) => {
    const parsed = typeof ctx.query.phone === 'string' ? Mobile.safeParse(ctx.query.phone) : null;
    const phone = parsed?.success ? parsed.data : null;
    return phone ? { step: 'details', phone, maskedPhone: maskPhone(phone) } : { step: 'phone' };
  };

  router.get('/account/register', async (ctx) => {
    kit.show(ctx, 'account/register', '注册账号', { form: emptyForm(), ...stepOf(ctx) });
  });
  codeStep('/account/register', 'register', 'account/register', '注册账号');

  router.post('/account/register', async (ctx) => {
    const { values: v, repeated } = readFormChecked(ctx);
    const phone = v.phone?.trim() ?? '';
    const show = (form: ReturnType<typeof emptyForm>, status: number) => {
      form.values = { ...form.values, password: '', passwordConfirm: '', code: '' };
      kit.show(ctx, 'account/register', '注册账号', { form, step: 'details', phone, maskedPhone: maskPhone(phone) }, status);
    };
    if (repeated.length) return show(formWithErrors(v, repeated, REGISTER_FIELDS), 400);
    const input = {
      phone,
      code: v.code?.trim() ?? '',
      password: v.password ?? '',
      name: v.name?.trim() ?? '',
      creditCode: opt(v.creditCode)?.toUpperCase(),
      businessName: opt(v.businessName),
      email: opt(v.email),
    };
    const parsed = OwnerRegistration.safeParse(input);
    const errors = parsed.success ? [] : zodErrors(parsed.error, input);
    if (v.password !== v.passwordConfirm) errors.push({ field: 'passwordConfirm', code: 'mismatch' });
    if (!parsed.success || errors.length) return show(formWithErrors(v, errors, REGISTER_FIELDS, { messages: VERIFICATION_CODE_MESSAGES }), 400);
    try {
      const limit = ownerFormLimit(ctx.ip);
      await takeAttempt(ctx, kit.attempts, [limit], 'too many registration attempts; try again later');
      const u = await registerOwner(deps.db, deps.config.jwtSecret, parsed.data, deps.clock.now());
      await kit.attempts.refund([limit.key]);
      await signIn(ctx, kit.sessions, u.id, kit.cookie);
      redirectDone(ctx, kit, '/account', 'welcome', {}, u.id); // for the account just signed in
    } catch (e) {
      const form = formFromAppError(e, v, REGISTER_FIELDS, { username: 'phone' }, VERIFICATION_CODE_MESSAGES);
      if (!form) throw e;
      show(form, (e as { status: number }).status);
    }
  });

  router.get('/account/reset', async (ctx) => {
    kit.show(ctx, 'account/reset', '重设密码', { form: emptyForm(), ...stepOf(ctx) });
  });
  codeStep('/account/reset', 'reset', 'account/reset', '重设密码');

  router.post('/account/reset', async (ctx) => {
    const { values: v, repeated } = readFormChecked(ctx);
    const phone = v.phone?.trim() ?? '';
    const show = (form: ReturnType<typeof emptyForm>, status: number) => {
      form.values = {};
      kit.show(ctx, 'account/reset', '重设密码', { form, step: 'details', phone, maskedPhone: maskPhone(phone) }, status);
    };
    if (repeated.length) return show(formWithErrors(v, repeated, RESET_FIELDS), 400);
    const input = { phone, code: v.code?.trim() ?? '', newPassword: v.newPassword ?? '' };
    const parsed = OwnerPasswordReset.safeParse(input);
    const errors = parsed.success ? [] : zodErrors(parsed.error, input);
    if (v.newPassword !== v.passwordConfirm) errors.push({ field: 'passwordConfirm', code: 'mismatch' });
    if (!parsed.success || errors.length) return show(formWithErrors(v, errors, RESET_FIELDS, { messages: VERIFICATION_CODE_MESSAGES }), 400);
    try {
      const limit = ownerFormLimit(ctx.ip);
      await takeAttempt(ctx, kit.attempts, [limit], 'too many password-reset attempts; try again later');
      await resetOwnerPassword(deps.db, deps.config.jwtSecret, parsed.data, deps.clock.now(), 'page');
      await kit.attempts.refund([limit.key]);
      redirectDone(ctx, kit, '/account/sign-in', 'password-reset');
    } catch (e) {
      const form = formFromAppError(e, v, RESET_FIELDS, undefined, VERIFICATION_CODE_MESSAGES);
      if (!form) throw e;
      show(form, (e as { status: number }).status);
    }
  });

  router.get('/account', async (ctx) => {
    const a = requireAccount(ctx);
    // what the POST that brought this browser here did (once, never from the address)
    const notice = takeDone(ctx, kit)?.done;
    if (a.role !== 'owner') {
      // staff have their home in the workbench: the notice goes on with them
      if (notice === 'password-changed') return redirectDone(ctx, kit, '/work', notice);
      ctx.redirect('/work');
      return;
    }
    const actor = actorOf(ctx);
    const now = deps.clock.now();
    const cal = await deps.calendar.get(deps.db.manager);
    const page = await listTickets(deps.db.manager, actor, { limit: 50, cursor: typeof ctx.query.cursor === 'string' ? ctx.query.cursor : undefined }, now);
    const items = page.items.map((t) => {
      const view = presentTicket(t, actor, { now, list: true });
      return { view, next: nextStep(t, now, cal, deps.config.businessTz) };
    });
    kit.show(ctx, 'account/tickets', '我的工单', { items, nextCursor: page.nextCursor, welcome: notice === 'welcome', changed: notice === 'password-changed' });
  });

  router.get('/account/password', async (ctx) => {
    const a = requireAccount(ctx);
    kit.show(ctx, 'account/password', '修改密码', { form: emptyForm(), required: a.mustChangePassword });
  });

  router.post('/account/password', async (ctx: Context) => {
    const a = requireAccount(ctx);
    const { values: v, repeated } = readFormChecked(ctx);
    const blank = (form: ReturnType<typeof emptyForm>) => ({ ...form, values: {} });
    if (repeated.length) return kit.show(ctx, 'account/password', '修改密码', { form: blank(formWithErrors(v, repeated, PASSWORD_FIELDS)), required: a.mustChangePassword }, 400);
    const errors = [];
    if (!opt(v.currentPassword)) errors.push({ field: 'currentPassword', code: 'invalid_type' });
    const np = Password.safeParse(v.newPassword ?? '');
    if (!np.success) errors.push(...zodErrors(np.error).map((e) => ({ ...e, field: 'newPassword' })));
    else if (v.newPassword !== v.passwordConfirm) errors.push({ field: 'passwordConfirm', code: 'mismatch' });
    if (errors.length) return kit.show(ctx, 'account/password', '修改密码', { form: blank(formWithErrors(v, errors, PASSWORD_FIELDS)), required: a.mustChangePassword }, 400);
    try {
      // every other browser signed in to this account is signed out, and its API tokens end
      await changePassword(deps.db, a.id, v.currentPassword, z.string().parse(v.newPassword), { now: deps.clock.now(), keepSessionId: pageState(ctx).sessionId ?? undefined, via: 'page' });
      redirectDone(ctx, kit, '/account', 'password-changed');
    } catch (e) {
      const form = formFromAppError(e, v, PASSWORD_FIELDS);
      if (!form) throw e;
      kit.show(ctx, 'account/password', '修改密码', { form: blank(form), required: a.mustChangePassword }, (e as { status: number }).status);
    }
  });
}
