import { createHash } from 'node:crypto';

/**
 * SMS text rules (issue 11; 3GPP TS 23.040 and SMPP 3.4): Chinese text travels as UCS-2,
 * 140 octets a message = 70 UTF-16 units; a longer text is split into concatenated
 * segments of 67 units each (6 octets of user data header per part). A surrogate pair
 * (an emoji) is never split across two parts.
 */
export const SINGLE_UNITS = 70;
export const PART_UNITS = 67;

/** Marks a secret (an access code, a verification code) inside a stored text: the gateway gets it, every view and the stored copy after sending show `******`. */
export const SECRET_MARK = '\u2063';
export const secret = (s: string) => `${SECRET_MARK}${s}${SECRET_MARK}`;
const SECRET_RE = new RegExp(`${SECRET_MARK}[^${SECRET_MARK}]*${SECRET_MARK}`, 'g');
/** The text as sent: secret marks removed. */
export const unmarkSecrets = (t: string) => t.replaceAll(SECRET_MARK, '');
/** The text as shown and kept after sending: each secret replaced by `******`. */
export const redactSecrets = (t: string) => t.replace(SECRET_RE, '******');
export const hasSecrets = (t: string) => t.includes(SECRET_MARK);

/** Splits `text` into the parts it travels as: one when it fits 70 units, else parts of at most 67. */
export function segmentText(text: string): string[] {
  if (text.length <= SINGLE_UNITS) return [text];
  const parts: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + PART_UNITS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--; // keep the pair together
    parts.push(text.slice(i, end));
    i = end;
  }
  return parts;
}

/** UCS-2 (UTF-16 big-endian) octets of `s`. */
export function ucs2(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16();
}

/** The concatenation reference of a row (8 bits, stable per row, so a resent part joins its siblings). */
export function concatReference(rowId: string): number {
  return createHash('sha256').update(rowId).digest()[0];
}

/** The user data header of part `seq` (1-based) of `total`: IEI 0x00, 8-bit reference. */
export function concatHeader(ref: number, total: number, seq: number): Buffer {
  return Buffer.from([0x05, 0x00, 0x03, ref & 0xff, total, seq]);
}

/** A mainland mobile number (11 digits starting with 1), the only numbers texts go to. */
export const MOBILE = /^1[3-9]\d{9}$/;
export const isMobile = (p: string | null | undefined): p is string => !!p && MOBILE.test(p.trim());
