import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
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

const keys = new Map<string, Buffer>();
function keyOf(secret: string, purpose: SealPurpose): Buffer {
  const id = `${purpose}\n${secret}`;
  let k = keys.get(id);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `grievance/page-cookie/${purpose}/v1`, 32));
    keys.set(id, k);
  }
  return k;
}

/** `value` sealed for this browser (`binding`) until `expiresAt` (ms): base64url(iv ‖ tag ‖ ciphertext). */
export function seal(secret: string, purpose: SealPurpose, binding: string, value: unknown, expiresAt: number): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', keyOf(secret, purpose), iv);
  c.setAAD(Buffer.from(`${purpose}|${binding}`));
  const ct = Buffer.concat([c.update(JSON.stringify({ v: value, exp: expiresAt }), 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64url');
}

/** The value sealed by {@link seal}, or null: absent, not this browser's, tampered with, or expired at `now` (ms). */
export function unseal<T>(secret: string, purpose: SealPurpose, binding: string, sealed: string | undefined, now: number): T | null {
  if (!sealed || sealed.length > 3800 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return null;
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 12 + 16 + 2) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', keyOf(secret, purpose), raw.subarray(0, 12));
    d.setAAD(Buffer.from(`${purpose}|${binding}`));
    d.setAuthTag(raw.subarray(12, 28));
    const o = JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8')) as { v: T; exp: number };
    return typeof o.exp === 'number' && o.exp > now ? o.v : null;
  } catch {
    return null;
  }
}

/** Sets the sealed cookie `name` for `path` only, for `seconds`. */
export function setSealedCookie(ctx: Context, name: string, path: string, value: string, o: CookieOptions, seconds: number): void {
  setCookie(ctx, name, value, o, seconds, path);
}
