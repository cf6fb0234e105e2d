import { openBytes, sealBytes, sealKey } from '../seal';
import type { Context } from 'koa';
import { type CookieOptions, setCookie } from './session';

/**
 * Short-lived sealed cookies for post/redirect/get on the owner pages (docs/decisions/security.md
 * "Receipts and the track page after a POST"): what a POST produced that a GET page must show
 * but no address may carry (the access code) travels from the POST's 303 to the GET in an
 * HttpOnly, SameSite=Lax cookie limited to the GET's path, sealed with AES-256-GCM under a key
 * derived (HKDF-SHA-256) from the service secret for its purpose, bound to this browser's CSRF
 * binding cookie, with its expiry inside. It works without JavaScript; a reload reads it again
 * and posts nothing; another browser, another purpose, a changed byte or an expired cookie opens
 * to nothing.
 */
export type SealPurpose = 'receipt' | 'track' | 'notice';

const info = (purpose: SealPurpose) => `grievance/page-cookie/${purpose}/v1`;
const aad = (purpose: SealPurpose, binding: string) => Buffer.from(`${purpose}|${binding}`);

/** `value` sealed for this browser (`binding`) until `expiresAt` (ms): base64url(iv ‖ tag ‖ ciphertext). */
export function seal(secret: string, purpose: SealPurpose, binding: string, value: unknown, expiresAt: number): string {
  return sealBytes(sealKey(secret, info(purpose)), aad(purpose, binding), JSON.stringify({ v: value, exp: expiresAt })).toString('base64url');
}

/** The value sealed by {@link seal}, or null: absent, not this browser's, tampered with, or expired at `now` (ms). */
export function unseal<T>(secret: string, purpose: SealPurpose, binding: string, sealed: string | undefined, now: number): T | null {
  if (!sealed || sealed.length > 3800 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const plain = openBytes(sealKey(secret, info(purpose)), aad(purpose, binding), Buffer.from(sealed, 'base64url'), 2);
  if (plain === null) return null;
  try {
    const o = JSON.parse(plain) as { v: T; exp: number };
    return typeof o.exp === 'number' && o.exp > now ? o.v : null;
  } catch {
    return null;
  }
}

/** Sets the sealed cookie `name` for `path` only, for `seconds`. */
export function setSealedCookie(ctx: Context, name: string, path: string, value: string, o: CookieOptions, seconds: number): void {
  setCookie(ctx, name, value, o, seconds, path);
}

/**
 * A page's success notice after a POST that went through (post/redirect/get), shown once by the
 * page the POST's 303 goes to: `done` names what happened (each page maps it to its words),
 * `to` the path of that page, `who` the account it is for (`''` for none), the rest what the words
 * need (a count, a ticket number, `ticket`: the ticket acted on). It is a one-time sealed cookie
 * (`gt_notice`, Path=/, purpose `notice`, this browser only, 5 minutes): the address carries
 * nothing, so a crafted `?done=` link shows no notice (docs/decisions/security.md "Success notices
 * come from the POST, never from the address"). Works with JavaScript off.
 */
export interface PageNotice {
  to: string;
  done: string;
  who?: string;
  [k: string]: string | number | undefined;
}
export const NOTICE_COOKIE = 'gt_notice';
const NOTICE_MS = 5 * 60_000;
interface NoticeKit {
  deps: { config: { jwtSecret: string }; clock: { now(): Date } };
  cookie: CookieOptions;
}

/** The account signed in on this request (`''`: none), whom a notice is for. */
const accountOf = (ctx: Context): string => (ctx.state.page as { account?: { id: string } | null } | undefined)?.account?.id ?? '';

/**
 * Keeps `notice` for the next GET of `notice.to` in this browser by the account `who` (call it with
 * the 303 of the POST that succeeded; `who` defaults to the account of this request: pass the new
 * one when the POST signed someone in).
 */
export function flashNotice(ctx: Context, kit: NoticeKit, notice: PageNotice, who: string = accountOf(ctx)): void {
  const now = kit.deps.clock.now().getTime();
  const sealed = seal(kit.deps.config.jwtSecret, 'notice', ctx.state.csrfBinding as string, { ...notice, who }, now + NOTICE_MS);
  setSealedCookie(ctx, NOTICE_COOKIE, '/', sealed, kit.cookie, NOTICE_MS / 1000);
}

/**
 * The notice this browser was given for this page (`ctx.path`) and the account signed in now,
 * taken once: the cookie is cleared with this answer, so a reload shows it no more. Null when
 * there is none, or it is for another page or `accept` refuses it (another ticket's notice): that
 * page keeps it. A notice for another account (signed out and another signed in before it was
 * shown) is never shown: it is dropped.
 */
export function takeNotice(ctx: Context, kit: NoticeKit, accept: (n: PageNotice) => boolean = () => true): PageNotice | null {
  const raw = ctx.cookies.get(NOTICE_COOKIE);
  if (!raw) return null;
  let n = unseal<PageNotice>(kit.deps.config.jwtSecret, 'notice', ctx.state.csrfBinding as string, raw, kit.deps.clock.now().getTime());
  if (n && n.who !== accountOf(ctx)) n = null;
  else if (n && (n.to !== ctx.path || typeof n.done !== 'string' || !accept(n))) return null;
  setSealedCookie(ctx, NOTICE_COOKIE, '/', '', kit.cookie, 0); // shown, unreadable or not this account's: gone
  return n;
}

/**
 * After a POST that went through: 303 to `to` (a local path, with its query and fragment) with a
 * one-time notice `done` for that page ({@link flashNotice}), never a `?done=` in the address,
 * which anyone could put in a link (docs/decisions/security.md "Success notices come from the
 * POST, never from the address"). `extra`: what the page's words need (a ticket page shows only
 * a notice whose `ticket` is its own); `who`: the account it is for, when the POST signed one in.
 */
export function redirectDone(ctx: Context, kit: NoticeKit, to: string, done: string, extra: Record<string, string | number> = {}, who?: string): void {
  flashNotice(ctx, kit, { ...extra, to: to.split(/[?#]/)[0], done }, who);
  ctx.redirect(to);
  ctx.status = 303;
}

/** The notice a POST left for this page (once; {@link redirectDone}), or null; `accept` may refuse another record's notice (it then stays for its page). */
export const takeDone = (ctx: Context, kit: NoticeKit, accept?: (n: PageNotice) => boolean): PageNotice | null => takeNotice(ctx, kit, accept);
