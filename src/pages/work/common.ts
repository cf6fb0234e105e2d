import type { Context } from 'koa';
import type { PageKit } from '../kit';
import { MAX_YEAR, MIN_YEAR, YearParam } from '../../schemas';
import { badCursor } from '../../queries/cursor';
import { localDate } from '../../domain/deadline';
/** A local path to go back to after a form (never another site), or `fallback`. */
export const localPath = (s: string | undefined, fallback: string): string => (s && /^\/(?!\/)[\w\-/?=&.%]*$/.test(s) ? s : fallback);

/** The offset of `tz` from UTC at `at`, in milliseconds. */
function offsetMs(at: Date, tz: string): number {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const p = (t: string) => Number(parts.find((x) => x.type === t)?.value);
  return Date.UTC(p('year'), p('month') - 1, p('day'), p('hour'), p('minute'), p('second')) - Math.floor(at.getTime() / 1000) * 1000;
}

/**
 * A `datetime-local` value (`2026-11-02T09:14`, wall time in `tz`) as an ISO instant with
 * its offset (`2026-11-02T09:14:00+08:00`), for the API's `Instant` schema; null when the
 * value is not of that form (the schema then reports it).
 */
export function localInstant(value: string, tz: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  const off = offsetMs(new Date(wall - offsetMs(new Date(wall), tz)), tz);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off) / 60_000;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:00${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** An instant as a `datetime-local` value in `tz` (`2026-11-02T09:14`). */
export function localInputValue(at: Date, tz: string): string {
  return new Date(at.getTime() + offsetMs(at, tz)).toISOString().slice(0, 16);
}

/** The business year of instant `d` in zone `tz` (the year a ticket number and the assessment count in). */
export const businessYear = (d: Date, tz: string): number => Number(localDate(d, tz).slice(0, 4));

/**
 * A list page's query string without the filters sent blank: a filter left at 全部 comes as
 * `state=` and means no filter, as the API's `filter()` schemas read it (src/schemas.ts,
 * docs/decisions/lists.md); every other value is kept for the page's schema to check.
 */
export function givenQuery(query: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(query).filter((e): e is [string, string | string[]] => e[1] !== '' && e[1] !== undefined));
}

/** What a staff page's `?year=` says: the year asked for, or why it is not one (the Chinese message next to the year field). */
export type PageYear = { year: number } | { refused: string; given: string };

/**
 * The `year` of a page's query string (/work/assessments, /work/vetoes, /work/department,
 * /work/admin/calendar), read as the API reads it (`YearParam`: 4 digits, 2000–2100): absent or
 * blank is `fallback` (the current year; null: every year); anything else that is no year
 * (`20x6`, `99999`, `2026.0`, twice) is refused, never read as the current year.
 * `latest`: the last year the page has figures for (the department's overview: this year).
 */
export function pageYear(raw: unknown, fallback: number | null, latest = MAX_YEAR): PageYear | { year: null } {
  if (raw === undefined || raw === '') return { year: fallback };
  const given = Array.isArray(raw) ? raw.join(',') : String(raw);
  const y = typeof raw === 'string' ? YearParam.safeParse(raw) : null;
  if (!y?.success) return { refused: /^\d{4}$/.test(given) ? `年份应在${MIN_YEAR}年到${latest}年之间。` : '年份请填4位数字，例如 2026。', given };
  if (y.data > latest) return { refused: `年份应在${MIN_YEAR}年到${latest}年之间。`, given };
  return { year: y.data };
}

/** The page for a refused `year=`: its heading, the year field with the message, no figures; 400. */
export function showYearRefused(kit: PageKit, ctx: Context, o: { heading: string; action: string; fallbackLink: string }, r: { refused: string; given: string }) {
  kit.show(ctx, 'work/year-refused', o.heading, { ...o, refused: r.refused, given: r.given }, 400);
}

/**
 * A list page's `cursor` as given: absent or blank is the first page; one over 200 characters
 * or sent twice is no cursor this service gave (the damaged-cursor page), never cut to one.
 */
export function pageCursor(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > 200) throw badCursor();
  return raw;
}

/** The one-time success notice of a POST for the page it leads to (src/pages/sealed.ts), used by every workbench page. */
export { redirectDone, takeDone } from '../sealed';
