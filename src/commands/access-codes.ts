import { createHmac, randomInt } from 'node:crypto';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** A 10-character access code (50 bits) for account-less submitters (DESIGN §1). */
export function newAccessCode(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}
/**
 * Access codes are random and high-entropy, so a keyed fast hash (HMAC-SHA-256) is the
 * right storage; slow password hashes are for human-chosen secrets. Attempts are rate-limited.
 */
export function hashAccessCode(secret: string, number: string, code: string): string {
  return createHmac('sha256', secret).update(`${number}:${code.trim().toUpperCase()}`).digest('hex');
}
