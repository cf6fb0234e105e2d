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
export type SealPurpose = 'receipt' | 'track';

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
