import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { AppDeps } from '../deps';
import { AppError } from '../errors';
import { sharedAttemptStore } from '../http/limiter';
import { makeKit, PageKit } from './kit';
import { pageSession, requireCsrf, type PageState } from './session';
import { PROBLEM_TITLES, problemMessage } from './messages';
import { askedFor, repeatedOf } from './forms';
import { homePages } from './home';
import { accountPages } from './account';
import { submitPages } from './submit';
import { trackPages } from './track';
import { noticePages } from './notices';
import { takesFiles } from './uploads';
import { workPages } from './work';
import { DatabaseUnavailable, isDatabaseUnavailable } from '../db-errors';

/**
 * The Content-Security-Policy of every page: only the service's own files, no inline script
 * or style (issue 9: no 'unsafe-inline', no CDN), no framing, forms post to the service only.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "manifest-src 'self'",
].join('; ');

function securityHeaders(ctx: Context) {
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
}

/** The 401 page's sign-in link: back to the page asked for after signing in (`next=`, a same-site path only). */
function signInHref(ctx: Context): string {
  const next = askedFor(ctx);
  return next ? `/account/sign-in?next=${encodeURIComponent(next)}` : '/account/sign-in';
}

/** Errors as pages: the message of the code, the status kept; faults logged and hidden. */
function pageErrors(kit: PageKit) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (caught) {
      securityHeaders(ctx);
      ctx.set('Cache-Control', 'no-store');
      // A database outage is a 503 to come back from, not a fault (issue 13 item 15).
      const e = !(caught instanceof AppError) && isDatabaseUnavailable(caught) ? new DatabaseUnavailable(caught) : caught;
      if (e instanceof AppError && e.status === 400 && ctx.method === 'GET' && e.errors.some((x) => x.field === 'cursor')) {
        // a page of a list whose cursor is not one the service gave (expired, cut, edited): say so, and offer the first page
        const first = new URLSearchParams(ctx.querystring);
        first.delete('cursor');
        const href = `${/^\/(?!\/)/.test(ctx.path) ? ctx.path : '/'}${first.size ? `?${first}` : ''}`;
        kit.show(ctx, 'error', '这一页已经失效', { message: problemMessage('bad-cursor'), code: 'bad-cursor', status: 400, firstPage: href }, 400);
        return;
      }
      if (e instanceof AppError && repeatedOf(e)) {
        // a field sent twice (readForm, or the multipart reader) on a form that does not show it next to the field: nothing was saved; back to the form
        kit.show(ctx, 'error', '无法完成操作', { message: problemMessage('repeated-field'), code: e.code, status: 400, back: askedFor(ctx) }, 400);
        return;
      }
      if (e instanceof AppError) {
        if (e.code === 'database-unavailable') ctx.set('Retry-After', String(e.extra.retryAfter));
        const minutes = typeof e.extra.retryAfter === 'number' ? Math.ceil(e.extra.retryAfter / 60) : undefined;
        const title = PROBLEM_TITLES[e.code] ?? (e.status === 404 ? '没有找到这个页面' : e.status === 401 ? '请先登录' : e.status === 429 ? '请稍后再试' : '无法完成操作');
        const message = e instanceof DatabaseUnavailable && e.inDoubt ? problemMessage('database-unavailable-in-doubt') : problemMessage(e.code, { minutes });
        kit.show(ctx, 'error', title, { message, code: e.code, status: e.status, signIn: e.status === 401 ? signInHref(ctx) : null }, e.status);
        return;
      }
      const err = e as { status?: number; type?: string };
      if (err.status === 413 || err.type === 'entity.too.large') {
        kit.show(ctx, 'error', '内容太多', { message: problemMessage('body-too-large'), status: 413 }, 413);
        return;
      }
      if (err.status && err.status >= 400 && err.status < 500) {
        kit.show(ctx, 'error', '无法完成操作', { message: problemMessage('malformed-body'), status: err.status }, err.status);
        return;
      }
      ctx.state.log?.error({ err: e }, 'page error');
      kit.show(ctx, 'error', '系统出了问题', { message: problemMessage('internal-error'), status: 500 }, 500);
    }
  };
}

/** Pages an account with a temporary password may still open: the password change and sign-out (issue 10). */
const WHILE_PASSWORD_CHANGE_REQUIRED = new Set(['/account/password', '/account/sign-out']);

/**
 * After an admin's password reset the account must choose its own password before anything
 * else (as the API answers 403 `password-change-required`): every other page sends it to the
 * password page. Public pages stay reachable after signing out.
 */
async function passwordChangeFirst(ctx: Context, next: Next) {
  const account = (ctx.state.page as PageState | undefined)?.account;
  if (account?.mustChangePassword && !WHILE_PASSWORD_CHANGE_REQUIRED.has(ctx.path)) {
    ctx.redirect('/account/password?required=1');
    ctx.status = 303;
    return;
  }
  await next();
}

/**
 * The web pages (issue 9, DESIGN §15), as koa middlewares placed before the API routers:
 * the hashed static assets, then the page routes with their security headers, errors as
 * pages, the form body parser (1 MB), the cookie session and the CSRF check on every POST.
 * A path no page or API route answers gets the HTML 404 page when a browser asks for HTML.
 */
export function pageMiddlewares(deps: AppDeps): Middleware[] {
  const kit = makeKit(deps, sharedAttemptStore(deps));
  const router = new Router();
  router.use(pageErrors(kit));
  router.use(async (ctx, next) => {
    securityHeaders(ctx);
    await next();
  });
  router.use(
    bodyParser({
      enableTypes: ['form'],
      formLimit: '1mb',
      encoding: 'utf-8',
      onError: (err) => {
        throw err;
      },
    }),
  );
  router.use(pageSession(kit.sessions, deps.config.jwtSecret, kit.cookie));
  router.use(async (ctx, next) => {
    // A form with files is read by its handler (withFormFiles), which checks the token before the first file is stored.
    if (ctx.method === 'POST' && !(ctx.is('multipart/form-data') && takesFiles(ctx.path))) requireCsrf(ctx);
    await next();
  });
  router.use(passwordChangeFirst);
  homePages(router, kit);
  accountPages(router, kit);
  submitPages(router, kit);
  trackPages(router, kit);
  noticePages(router, kit);
  workPages(router, kit);

  const notFoundPage = async (ctx: Context, next: Next) => {
    await next();
    if (ctx.status === 404 && !ctx.path.startsWith('/api/') && ctx.method === 'GET' && ctx.accepts('json', 'html') === 'html' && (ctx.body === undefined || ctx.type === 'application/problem+json')) {
      securityHeaders(ctx);
      kit.show(ctx, 'error', '没有找到这个页面', { message: problemMessage('not-found'), status: 404 }, 404);
    }
  };
  return [notFoundPage, kit.renderer.assets.middleware(), router.routes() as Middleware, router.allowedMethods() as Middleware];
}
