import { createHmac, randomInt } from 'node:crypto';
import { asciiForm } from '../domain/validators';

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** A 10-character access code (50 bits) for account-less submitters (DESIGN §1). */
export function newAccessCode(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return s;
}
/**
 * An access code as typed, in the form it was issued: full-width letters and digits (a Chinese
 * input method) read as ASCII, lower case as upper, and every space (inner ones too, the
 * ideographic U+3000 included) and hyphen or dash dropped, since the alphabet has none: "mw38
 * amshe7", "MW38-AMSHE7" and "ＭＷ３８　ＡＭＳＨＥ７" are the code MW38AMSHE7. The one place
 * both the track page and the API read a typed code (through `hashAccessCode`).
 */
export function normalizeAccessCode(typed: string): string {
  return asciiForm(typed, 'alphanumeric')
    .replace(/[\s\-\u2010-\u2015\u2212\uFF0D]/g, '')
    .toUpperCase();
}
/**
 * Access codes are random and high-entropy, so a keyed fast hash (HMAC-SHA-256) is the
 * right storage; slow password hashes are for human-chosen secrets. Attempts are rate-limited.
 */
export function hashAccessCode(secret: string, number: string, code: string): string {
  return createHmac('sha256', secret)
    .update(`${number}:${normalizeAccessCode(code)}`)
    .digest('hex');
}
