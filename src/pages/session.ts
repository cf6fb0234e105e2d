import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Actor } from '../domain/lifecycle';
import type { Flash, SessionAccount, SessionStore } from '../commands/sessions';
import { AppError } from '../errors';

/** Cookie names: the session (signed in) and the CSRF binding (every visitor). */
export const SESSION_COOKIE = 'gt_session';
export const CSRF_COOKIE = 'gt_csrf';

/** What the session middleware leaves in `ctx.state.page` for the handlers. */
export interface PageState {
  account: SessionAccount | null;
  sessionId: string | null;
  csrf: string;
}

export interface CookieOptions {
  secure: boolean;
}

/**
 * One `Set-Cookie`: HttpOnly, SameSite=Lax, Path=/ (or `path`), Secure when the service is reached over
 * https (`PUBLIC_URL`); a session cookie (no Max-Age) unless `maxAge` (seconds; 0 deletes).
 * Written by hand rather than through koa's cookies, which refuse Secure behind a TLS proxy.
 */
export function setCookie(ctx: Context, name: string, value: string, o: CookieOptions, maxAge?: number, path = '/') {
  const parts = [`${name}=${value}`, `Path=${path}`, 'HttpOnly', 'SameSite=Lax'];
  if (o.secure) parts.push('Secure');
  if (maxAge !== undefined) parts.push(`Max-Age=${maxAge}`);
  ctx.append('Set-Cookie', parts.join('; '));
}

const token = (secret: string, binding: string, sessionId: string | null) =>
  createHmac('sha256', secret)
    .update(`csrf|${binding}|${sessionId ?? ''}`)
    .digest('base64url');

/**
 * Sessions and CSRF for the pages (docs/decisions/pages.md):
 * - the session cookie is resolved through the database store on every request (a signed-out
 *   or deactivated account ends at once, in every process); `ctx.state.actor` is set as the
 *   bearer authentication sets it for the API;
 * - every visitor gets a random CSRF binding cookie; each form carries
 *   HMAC(secret, binding | session id) as `_csrf` (a signed double-submit token, as csrf-csrf
 *   makes them), checked on every POST: a forged cross-site form has neither the cookie's
 *   value nor the key. Signing in or out changes the session id, so older forms stop working.
 */
export function pageSession(store: SessionStore, secret: string, cookie: CookieOptions) {
  return async (ctx: Context, next: Next) => {
    const resolved = await store.resolve(ctx.cookies.get(SESSION_COOKIE));
    if (!resolved && ctx.cookies.get(SESSION_COOKIE)) setCookie(ctx, SESSION_COOKIE, '', cookie, 0);
    let binding = ctx.cookies.get(CSRF_COOKIE);
    if (!binding || !/^[A-Za-z0-9_-]{16,64}$/.test(binding)) {
      binding = randomBytes(18).toString('base64url');
      setCookie(ctx, CSRF_COOKIE, binding, cookie);
      ctx.state.csrfFresh = true;
    }
    const a = resolved?.account ?? null;
    ctx.state.actor = a ? ({ kind: 'user', userId: a.id, role: a.role, departmentCode: a.departmentCode, isHead: a.isHead } satisfies Actor) : ({ kind: 'anonymous' } satisfies Actor);
    ctx.state.page = { account: a, sessionId: resolved?.id ?? null, csrf: token(secret, binding, resolved?.id ?? null) } satisfies PageState;
    ctx.state.csrfBinding = binding;
    await next();
  };
}

/**
 * Refuses a POST whose `_csrf` does not match this browser and session: 403 `csrf-failed`
 * (or `cookies-needed` when the browser sent no cookie at all). Nothing is changed.
 */
export function requireCsrf(ctx: Context) {
  const body = (ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {};
  checkCsrfToken(ctx, typeof body._csrf === 'string' ? body._csrf : '');
}

/** `requireCsrf` for a token read elsewhere (a multipart form's field, src/pages/uploads.ts). */
export function checkCsrfToken(ctx: Context, given: string | undefined) {
  if (ctx.state.csrfFresh) throw new AppError(403, 'cookies-needed', 'the browser sent no cookie');
  const expected = (ctx.state.page as PageState).csrf;
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new AppError(403, 'csrf-failed', 'the form is stale or came from another site');
}

/** Signs the browser in: a new session (the old id and its forms stop working). */
export async function signIn(ctx: Context, store: SessionStore, userId: string, cookie: CookieOptions): Promise<void> {
  await store.destroy(ctx.cookies.get(SESSION_COOKIE));
  const s = await store.create(userId);
  setCookie(ctx, SESSION_COOKIE, s.token, cookie);
}

/** Signs the browser out: the session row goes, in every process at once. */
export async function signOut(ctx: Context, store: SessionStore, cookie: CookieOptions): Promise<void> {
  await store.destroy(ctx.cookies.get(SESSION_COOKIE));
  setCookie(ctx, SESSION_COOKIE, '', cookie, 0);
}

/**
 * Post/Redirect/Get with a one-time message: keeps `flash` in this browser's session for the
 * page the POST redirects to (which shows it once with {@link takeFlash}); reloading that page
 * shows it no more and repeats nothing.
 */
export async function setFlash(ctx: Context, store: SessionStore, flash: Flash, em?: Parameters<SessionStore['setFlash']>[2]): Promise<boolean> {
  return store.setFlash(ctx.cookies.get(SESSION_COOKIE), flash, em);
}

/** This session's flash of `kind`, once (see {@link setFlash}); null when there is none. */
export async function takeFlash(ctx: Context, store: SessionStore, kind: string): Promise<Flash | null> {
  return store.takeFlash(ctx.cookies.get(SESSION_COOKIE), kind);
}

/**
 * A one-time form's key as the service issues it: `<uuid>.<issued, ms base 36>.<HMAC>`, the
 * HMAC-SHA-256 under `secret` of what the form is for (`bind`: the action, who may post it and
 * about what) with the uuid and the instant. The uuid is the idempotency key of the action;
 * the signature is how a key the service never issued (missing, typed, copied from another
 * account's form) is told from the form's own, without storing issued keys.
 */
export function issueFormKey(secret: string, bind: string, now: Date, uuid: string): string {
  const issued = now.getTime().toString(36);
  return `${uuid}.${issued}.${formKeyMac(secret, bind, uuid, issued)}`;
}
const formKeyMac = (secret: string, bind: string, uuid: string, issued: string) => createHmac('sha256', secret).update(`form-key|${bind}|${uuid}|${issued}`).digest('base64url');

/**
 * Checks a posted form key against `bind`: `missing` (none sent), `unknown` (not one the
 * service issued for `bind`), `expired` (issued more than `ttlMs` before `now`, or after it),
 * else the uuid to use as the action's idempotency key.
 */
export function checkFormKey(secret: string, bind: string, key: string | undefined, now: Date, ttlMs: number): { uuid: string } | { refused: 'missing' | 'unknown' | 'expired' } {
  if (!key) return { refused: 'missing' };
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/.exec(key);
  if (!m) return { refused: 'unknown' };
  const a = Buffer.from(m[3]);
  const b = Buffer.from(formKeyMac(secret, bind, m[1], m[2]));
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { refused: 'unknown' };
  const age = now.getTime() - Number.parseInt(m[2], 36);
  if (age < 0 || age > ttlMs) return { refused: 'expired' };
  return { uuid: m[1] };
}
