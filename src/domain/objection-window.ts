/**
 * Result notices (公示) and objections to them (DESIGN §6). Pure: no I/O, no clock; "now"
 * is passed in, the calendar too.
 *
 * The objection window is not stored: it is recomputed from the notice's inputs
 * (publication date and N working days, or explicit dates) with the current working
 * calendar, so that a calendar change moves it like every other deadline (DESIGN §4
 * "recompute, never patch").
 */
import { WorkCalendar } from './calendar';
import { explicitWindow, objectionWindow } from './deadline';

/** The four recognition categories of 名特优新 (DESIGN §6). */
export const RECOGNITION_CATEGORIES = ['famous', 'specialty', 'quality', 'emerging'] as const;
export type RecognitionCategory = (typeof RECOGNITION_CATEGORIES)[number];
/** Chinese labels accepted in imports (知名, 特色, 优质, 新兴), as spreadsheets from the evaluation office write them. */
export const CATEGORY_ALIASES: Readonly<Record<string, RecognitionCategory>> = {
  famous: 'famous',
  specialty: 'specialty',
  quality: 'quality',
  emerging: 'emerging',
  知名: 'famous',
  特色: 'specialty',
  优质: 'quality',
  新兴: 'emerging',
};

/** Default window: 5 working days counting the publication day when it is a working day (DESIGN §6). */
export const DEFAULT_WINDOW_WORKING_DAYS = 5;

/** What defines a notice's window: N working days from the publication day, or explicit dates. */
export interface WindowSpec {
  /** 'YYYY-MM-DD', local */
  publishedOn: string;
  /** whole working days ≥ 1; null when explicit dates are given */
  windowWorkingDays: number | null;
  /** 'YYYY-MM-DD' first and last day (inclusive) of an explicit window; null otherwise */
  windowFrom: string | null;
  windowUntil: string | null;
}

/** The window as instants: open from `opensAt` (inclusive) until `closesAt` (exclusive), both UTC. */
export interface ObjectionWindow {
  opensAt: Date;
  closesAt: Date;
  /** 'YYYY-MM-DD' first and last day of the window, local */
  firstDay: string;
  lastDay: string;
  /** the window counts days of a year without official holiday data (DESIGN §4) */
  provisional: boolean;
}

/**
 * The objection window of a notice (DESIGN §6): opens 00:00 local on the publication day
 * (or the explicit first day) and closes 00:00 local after its last day.
 * @throws RangeError for an invalid spec (the HTTP layer validates before this)
 */
export function windowOf(spec: WindowSpec, cal: WorkCalendar, tz: string): ObjectionWindow {
  if (spec.windowFrom && spec.windowUntil) {
    const w = explicitWindow(spec.windowFrom, spec.windowUntil, tz);
    return { opensAt: w.opensAt, closesAt: w.closesAt, firstDay: spec.windowFrom, lastDay: w.lastDay, provisional: false };
  }
  const w = objectionWindow(spec.publishedOn, spec.windowWorkingDays ?? DEFAULT_WINDOW_WORKING_DAYS, cal, tz);
  return { opensAt: w.opensAt, closesAt: w.closesAt, firstDay: spec.publishedOn, lastDay: w.lastDay, provisional: w.provisional };
}

export type WindowPhase = 'upcoming' | 'open' | 'closed';
/** Where `at` (UTC instant) lies relative to the window: before it, inside [opensAt, closesAt), or after. */
export function windowPhase(w: Pick<ObjectionWindow, 'opensAt' | 'closesAt'>, at: Date): WindowPhase {
  if (at.getTime() < w.opensAt.getTime()) return 'upcoming';
  return at.getTime() < w.closesAt.getTime() ? 'open' : 'closed';
}

export type NoticeStatus = WindowPhase | 'finalized';
/** A notice is `finalized` once frozen, else the phase of its window at `at`. */
export function noticeStatus(finalizedAt: Date | null, w: ObjectionWindow, at: Date): NoticeStatus {
  return finalizedAt ? 'finalized' : windowPhase(w, at);
}

export type EntryStatus = 'listed' | 'disputed' | 'revoked';
/**
 * An entry's status (DESIGN §13): `revoked` once an upheld objection revoked it (final),
 * else `disputed` while an undecided objection names it, else `listed`. Derived, never
 * stored next to the facts it comes from.
 */
export function entryStatus(revoked: boolean, undecidedObjections: number): EntryStatus {
  if (revoked) return 'revoked';
  return undecidedObjections > 0 ? 'disputed' : 'listed';
}
