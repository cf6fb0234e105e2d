/**
 * Identifier checks (DESIGN §12). Pure.
 */

/** GB 32100-2015 alphabet: digits and capitals without I, O, Z, S, V. */
const USCC_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/**
 * Whether `code` is a unified social credit code (统一社会信用代码): 18 characters of the
 * GB 32100 alphabet whose 18th (check) character is valid (GB 32100-2015 §4.3, weights
 * 3^(i) mod 31). The embedded organisation code (characters 9–17) is not checked: many
 * real codes of individual businesses fail that older check (DESIGN §12).
 */
export function isValidCreditCode(code: string): boolean {
  if (typeof code !== 'string' || code.length !== 18) return false;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_ALPHABET.indexOf(code[i]);
    if (v < 0) return false;
    sum += v * USCC_WEIGHTS[i];
  }
  const check = (31 - (sum % 31)) % 31;
  return code[17] === USCC_ALPHABET[check];
}

/** What an identifier field takes besides ASCII digits, hence which full-width forms it reads as ASCII. */
export type AsciiAlphabet = 'digits' | 'decimal' | 'alphanumeric';
const FULL_WIDTH: Record<AsciiAlphabet, RegExp> = {
  // full-width digits ０–９ (U+FF10–FF19)
  digits: /[\uFF10-\uFF19]/g,
  // and the full-width full stop ． (U+FF0E) of an amount typed as ３００．５０
  decimal: /[\uFF0E\uFF10-\uFF19]/g,
  // and the full-width Latin letters Ａ–Ｚ ａ–ｚ (U+FF21–FF3A, U+FF41–FF5A)
  alphanumeric: /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g,
};

/**
 * A typed identifier (a phone number, a code, an amount) in the ASCII form the checks read:
 * the full-width characters a Chinese input method types in such a field become their ASCII
 * forms (each is U+FEE0 above it) — the digits ０–９ always, the full stop ． for an amount
 * (`decimal`), the Latin letters Ａ–Ｚ ａ–ｚ for a field that takes letters (`alphanumeric`:
 * a credit code, a ticket number, an access code, a username). Nothing else is converted: NFKC
 * would also read circled ①, superscript ¹, Arabic-Indic ١ or the ㈠ of a list as ASCII
 * digits, so "①3812345678" passed as a phone number (docs/decisions/security.md). Not trimmed:
 * the API refuses a code with spaces around it as before (the pages trim what was typed). Only
 * for fields whose valid values are ASCII: text fields are kept as given (DESIGN §12).
 */
export function asciiForm(s: string, alphabet: AsciiAlphabet = 'digits'): string {
  return s.replace(FULL_WIDTH[alphabet], (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
}

/** Mainland mobile number: 11 digits starting 1[3-9] (DESIGN §12). */
export function isValidMobile(phone: string): boolean {
  return /^1[3-9]\d{9}$/.test(phone);
}

/**
 * Refused in multi-line text (§12): control characters (Unicode Cc: C0, DEL and C1) other
 * than tab and line breaks; bidirectional embedding/override/isolate controls (U+202A–202E,
 * U+2066–2069, which can disguise text such as a file name); and U+FFFD, which is what
 * invalid UTF-8 bytes decode to — such a body is refused rather than silently altered.
 */
export const MULTILINE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFFFD]/;
/** Refused in single-line text: the same, plus every line break (including U+2028/U+2029). */
export const SINGLELINE_FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFFFD]/;

/** Masks a phone number for handlers and lists: 138****1234. */
export function maskPhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : '****';
}

/** Whether a string is well-formed UTF-16 (no lone surrogates, e.g. from a JSON "\\ud800"). */
export function isWellFormedText(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}
