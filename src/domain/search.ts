/**
 * How tickets are found by words (issue 15 item 3; docs/decisions/search.md). Pure: the same
 * text always gives the same tokens (jieba is deterministic; its HMM guessing of unknown
 * words is off, because it depends on the surrounding text).
 *
 * A ticket is indexed under the tokens of its title and description (`indexTokens`) and under
 * its number, the submitter's phone and credit codes whole (`ticketSearchTokens`). A query is
 * cut into words (`queryWords`); a ticket matches when it has every word as a token.
 * Both sides go through `searchForm` first (NFKC, invisible characters removed, lower case).
 */
import { readFileSync } from 'node:fs';
import { Jieba } from '@node-rs/jieba';
import type { TicketKind } from './lifecycle';
import { searchForm } from './text';
import { isValidCreditCode, isValidMobile } from './validators';

/** Longest token kept, in code points (the column is varchar(64)); longer ones are cut, on both sides alike. */
export const MAX_TOKEN_LENGTH = 64;
/** Words of a query that must match; a longer query keeps its longest words (docs/decisions/search.md). */
export const MAX_QUERY_WORDS = 8;

let jieba: Jieba | null = null;
/**
 * The segmenter with jieba's default dictionary (the package's `dict.txt`, byte for byte), loaded
 * on first use (~0.2 s; ~35 MB of native memory in jieba's own tables, issue 15 item 5). The file
 * is read here rather than through `@node-rs/jieba/dict`, which reads the dictionary and the
 * keyword weights (`idf.txt`, unused here) into two buffers its module keeps for the life of the
 * process (11 MB); ours is released once jieba has built its tables. Same bytes, same tokens.
 */
function segmenter(): Jieba {
  jieba ??= Jieba.withDict(readFileSync(require.resolve('@node-rs/jieba/dict.txt')));
  return jieba;
}

/**
 * Runs of Han characters (segmented by jieba), and runs of other letters, digits and marks
 * joined by `-`, `_` or `.` (`fl2026000001`, `300.10`, `wi-fi`: kept whole). Everything else
 * (white space, punctuation, symbols) separates words and is never a token.
 */
const RUN = /(\p{Script=Han}+)|((?:(?!\p{Script=Han})[\p{L}\p{N}\p{M}])+(?:[-_.](?:(?!\p{Script=Han})[\p{L}\p{N}\p{M}])+)*)/gu;
const SEPARATOR = /[-_.]/u;

const cap = (w: string) => (w.length <= MAX_TOKEN_LENGTH ? w : Array.from(w).slice(0, MAX_TOKEN_LENGTH).join(''));

function words(text: string, side: 'index' | 'query'): string[] {
  const out: string[] = [];
  for (const m of searchForm(text).matchAll(RUN)) {
    if (m[1]) {
      // Index: search mode (a long word and its dictionary sub-words: 营业执照 → 营业, 执照, 营业执照),
      // so that a query for the shorter word finds it. Query: the plain cut (its longest words).
      out.push(...(side === 'index' ? segmenter().cutForSearch(m[1], false) : segmenter().cut(m[1], false)));
    } else {
      out.push(m[2]);
      // a joined run is also indexed by its parts (`wi-fi` → wi, fi), so `wi` finds it
      if (side === 'index' && SEPARATOR.test(m[2])) out.push(...m[2].split(SEPARATOR));
    }
  }
  return out.map(cap);
}

const distinct = (ws: string[]) => [...new Set(ws)];

/** The tokens a text is indexed under, distinct and sorted. `'餐馆乱收费'` → `['乱收', '乱收费', '收费', '餐馆']`. */
export function indexTokens(text: string): string[] {
  return distinct(words(text, 'index')).sort();
}

/**
 * The words a query must all match, distinct, in the order given; past {@link MAX_QUERY_WORDS}
 * only the longest are kept (ties: the earlier). `'餐馆 乱收费'` → `['餐馆', '乱收费']`;
 * punctuation alone (`'%'`) gives no word (and the query matches nothing).
 */
export function queryWords(q: string): string[] {
  const whole = groupedValue(q);
  if (whole) return [whole];
  const ws = distinct(words(q, 'query'));
  if (ws.length <= MAX_QUERY_WORDS) return ws;
  const keep = new Set([...ws].sort((a, b) => Array.from(b).length - Array.from(a).length).slice(0, MAX_QUERY_WORDS));
  return ws.filter((w) => keep.has(w));
}

/**
 * A query that is one whole mobile number or credit code typed in groups, as people write them
 * (`138 0013 8000`, `138-0013-8000`, `+86 138 0013 8000`, a credit code in fours): that value,
 * in the form the ticket is indexed under it (`valueToken`). Read as separate words it matched
 * nothing (the groups are no tokens). Null for anything else: only digits, Latin letters, white
 * space, hyphens and a leading `+` that make a valid mobile number (after an optional 86) or a
 * credit code with its check character.
 */
function groupedValue(q: string): string | null {
  const s = searchForm(q);
  if (!/^\+?[0-9a-z]+(?:[\s-]+[0-9a-z]+)+$|^\+[0-9]+$/.test(s)) return null;
  const compact = s.replace(/[\s+-]/g, '');
  const phone = /^(?:86)?(1\d{10})$/.exec(compact)?.[1];
  if (phone && isValidMobile(phone)) return phone;
  // a credit code's 3rd–8th characters are its region's six digits: words that happen to check (1 in 31) are not one
  return compact.length === 18 && /^[0-9a-z]{2}\d{6}/.test(compact) && isValidCreditCode(compact.toUpperCase()) ? compact : null;
}

/** What of a ticket is searched. */
export interface SearchableTicket {
  kind: TicketKind;
  number: string;
  title: string;
  description: string;
  contact: { phone?: string; creditCode?: string } | null;
  subjectCreditCode: string | null;
}

/** A whole value (number, phone, credit code) as one token, in the form a query for it takes. */
export function valueToken(v: string): string {
  return cap(searchForm(v));
}

/**
 * Every token of a ticket: the words of its title and description, its number, and whole
 * the submitter's phone and credit code and an objection's subject credit code, so that a
 * query for one of them finds the ticket exactly. An integrity report is not indexed under
 * its reporter's phone or credit code: only supervisors may know who reported (DESIGN §7),
 * and a search by a phone would tell. Distinct and sorted.
 */
export function ticketSearchTokens(t: SearchableTicket): string[] {
  const values = [t.number, t.subjectCreditCode];
  if (t.kind !== 'integrity_report' && t.contact) values.push(t.contact.phone ?? null, t.contact.creditCode ?? null);
  const extra = values.filter((v): v is string => !!v && !!searchForm(v)).map(valueToken);
  return distinct([...words(`${t.title}\n${t.description}`, 'index'), ...extra]).sort();
}
