/**
 * What text shows and how it is searched (DESIGN §12; issue 13 item 10). Pure.
 *
 * Text is stored as given. Two readings of it are derived here:
 * - whether it shows anything at all (a title of zero-width spaces or Hangul fillers looks
 *   empty on every screen and in every printed list, so it is blank);
 * - the form it is searched in, where characters that show nothing cannot split a word.
 */

/**
 * Characters that render as nothing, or as empty space, whatever the font: Unicode's
 * Default_Ignorable_Code_Point (zero-width space and joiners U+200B–U+200D, word joiner
 * U+2060, soft hyphen U+00AD, combining grapheme joiner U+034F, Mongolian vowel separator
 * U+180E, Hangul fillers U+115F U+1160 U+3164 U+FFA0, variation selectors, tags, BOM …),
 * the Braille blank U+2800, and the other format characters (Cf).
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\u2800]/gu;
/** What shows on its own: letters, digits, punctuation, symbols (marks need a base; spaces and separators show nothing). */
const SHOWS = /[\p{L}\p{N}\p{P}\p{S}]/u;

/**
 * Whether `s` shows anything once invisible characters, white space and lone combining
 * marks are left aside. `'\u200B\u3164 '` → false; `'面馆'`, `'?'`, `'😀'` → true.
 */
export function hasVisibleText(s: string): boolean {
  return SHOWS.test(s.replace(INVISIBLE, ''));
}

/**
 * Whether `s` is white space alone (or empty) in Unicode's sense (White_Space). Not JavaScript's
 * `trim` and `\s`, which also count U+FEFF (the byte order mark, an invisible format character):
 * a search of a BOM alone is invisible characters, refused as U+200B is, not a blank search
 * (U+FEFF is the only character `\s` takes that White_Space does not).
 */
export function isWhiteSpaceOnly(s: string): boolean {
  return /^\p{White_Space}*$/u.test(s);
}

/** `s` without white space at either end, in Unicode's sense (see {@link isWhiteSpaceOnly}: a U+FEFF stays). */
export function trimWhiteSpace(s: string): string {
  return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, '');
}

/**
 * The form text is searched in: NFKC (full-width Ｔａｘ and ｔａｘ, compatibility
 * ideographs and circled digits read as their plain forms), invisible characters removed
 * (so that 违\u200B规 is found by 违规), white space runs as one space, lower case.
 * Applied the same way to what is stored for search and to the query.
 */
export function searchForm(s: string): string {
  return s.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim().toLowerCase();
}
