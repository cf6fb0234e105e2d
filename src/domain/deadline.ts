/**
 * The deadline clock (DESIGN §4 "Deadlines (the clock)", §6 objection window).
 *
 * Pure functions: a due date is a function of (start instant, duration, paused intervals,
 * approved extensions, calendar). Nothing here reads the system clock: "now" is passed in
 * (`asOf`). Instants are JS `Date`s (absolute UTC instants); local calendar dates are
 * `'YYYY-MM-DD'` strings in the business time zone `tz` (IANA name, default
 * {@link DEFAULT_BUSINESS_TZ}). Time-zone math uses luxon.
 *
 * Counting rule (DESIGN §4, as in Chinese administrative practice and the SAMR complaint
 * rules DESIGN §4 refers to: the start day is not counted, and a period ending on a
 * holiday ends on the next working day): N working days from instant t end at 00:00
 * local of the day after the N-th working day strictly after t's local date.
 */
import { DateTime, IANAZone } from 'luxon';
import { WorkCalendar, addCalendarDays, assertIsoDate } from './calendar';

/** Business time zone of the product (DESIGN §4, `BUSINESS_TZ`). */
export const DEFAULT_BUSINESS_TZ = 'Asia/Shanghai';

/**
 * Upper bound for a working-day count handed to the clock (≈ 40 years); larger counts are
 * refused with RangeError so that a bad request cannot make the day-by-day walk run away.
 */
export const MAX_WORKING_DAYS = 10_000;

/** An SLA duration: whole working days (≥ 1) or wall-clock hours (> 0, fractions allowed). */
export type Duration = { unit: 'working_days' | 'hours'; amount: number };

/** An `awaiting_info` interval of a clock; `to: null` = still paused. UTC instants. */
export interface Pause {
  from: Date;
  to: Date | null;
}

/** Inputs of {@link computeDeadline}. */
export interface DeadlineInput {
  /** clock start instant (UTC) */
  start: Date;
  duration: Duration;
  /** awaiting_info intervals of this clock, in any order, not overlapping */
  pauses?: readonly Pause[];
  /** sum of approved extensions, whole working days ≥ 0 (default 0) */
  extensionWorkingDays?: number;
  /** required only when a pause is still open: the open pause is counted as ending at asOf */
  asOf?: Date;
}

/** A computed deadline: the due instant (UTC) and whether it counts days of a year without official schedule. */
export interface Deadline {
  dueAt: Date;
  provisional: boolean;
}

const HOUR_MS = 3_600_000;

const validZones = new Set<string>();
function assertZone(tz: string): void {
  if (validZones.has(tz)) return; // the check is costly and the zone is nearly always the same
  if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) {
    throw new RangeError(`unknown time zone ${JSON.stringify(tz)}`);
  }
  validZones.add(tz);
}

function assertInstant(d: unknown, what: string): asserts d is Date {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) {
    throw new RangeError(`${what} must be a valid Date`);
  }
}

function assertWorkingDayCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKING_DAYS) {
    throw new RangeError(`${what} must be an integer from 1 to ${MAX_WORKING_DAYS}, got ${n}`);
  }
}

function yearOf(date: string): number {
  return Number(date.slice(0, 4));
}

/**
 * The local calendar date of an instant in the business zone.
 * @param instant UTC instant
 * @param tz IANA zone, default 'Asia/Shanghai'
 * @returns `'YYYY-MM-DD'`; e.g. 2026-05-08T16:30Z → '2026-05-09' in Asia/Shanghai
 * @throws RangeError for an invalid Date or unknown zone
 */
export function localDate(instant: Date, tz: string = DEFAULT_BUSINESS_TZ): string {
  assertInstant(instant, 'instant');
  assertZone(tz);
  const ms = instant.getTime();
  const offsetMin = zoneOffsetMinutes(ms, tz);
  const local = new Date(ms + offsetMin * 60_000);
  const y = local.getUTCFullYear();
  if (y < 1 || y > 9999) throw new RangeError(`instant out of range: ${instant.toISOString()}`);
  return local.toISOString().slice(0, 10);
}

// Zone offsets, memoized per 15-minute slice of UTC time: every offset transition in the
// tz database falls on a quarter hour, so the offset is constant within a slice. (Asking
// luxon on every call cost ~8% of the CPU of creating a ticket.)
const offsetCache = new Map<string, number>();
function zoneOffsetMinutes(ms: number, tz: string): number {
  const key = `${tz}|${Math.floor(ms / 900_000)}`;
  let off = offsetCache.get(key);
  if (off === undefined) {
    const dt = DateTime.fromMillis(ms, { zone: tz });
    if (!dt.isValid) throw new RangeError(`instant out of range: ${new Date(ms).toISOString()}`);
    off = dt.offset;
    if (offsetCache.size > 50_000) offsetCache.clear();
    offsetCache.set(key, off);
  }
  return off;
}
const dayStartCache = new Map<string, number>();

/**
 * The instant local midnight (00:00) begins on `date` in zone `tz` (if a DST gap swallows
 * midnight, the first existing instant of that day).
 * @param date `'YYYY-MM-DD'`
 * @param tz IANA zone, default 'Asia/Shanghai'
 * @returns UTC instant; e.g. '2026-10-14' → 2026-10-13T16:00:00.000Z in Asia/Shanghai
 * @throws RangeError for an invalid date or unknown zone
 */
export function startOfLocalDay(date: string, tz: string = DEFAULT_BUSINESS_TZ): Date {
  assertIsoDate(date);
  assertZone(tz);
  const key = `${tz}|${date}`;
  const cached = dayStartCache.get(key);
  if (cached !== undefined) return new Date(cached);
  const dt = DateTime.fromISO(date, { zone: tz }).startOf('day');
  if (!dt.isValid) throw new RangeError(`cannot place ${date} in zone ${tz}`);
  if (dayStartCache.size > 50_000) dayStartCache.clear();
  dayStartCache.set(key, dt.toMillis());
  return dt.toJSDate();
}

/** Walks forward from the day after `d0` to the n-th working day. */
function nthWorkingDayAfter(d0: string, n: number, cal: WorkCalendar): { lastDay: string; provisional: boolean } {
  let day = d0;
  let counted = 0;
  let provisional = false;
  let checkedYear = NaN;
  while (counted < n) {
    day = addCalendarDays(day, 1);
    const y = yearOf(day);
    if (y !== checkedYear) {
      checkedYear = y;
      if (!cal.hasOfficialData(y)) provisional = true;
    }
    if (cal.isWorkingDay(day)) counted++;
  }
  return { lastDay: day, provisional };
}

/** Working days in the date interval (fromDate, toDate]; 0 when toDate ≤ fromDate. */
function workingDaysInDates(fromDate: string, toDate: string, cal: WorkCalendar): { count: number; provisional: boolean } {
  let count = 0;
  let provisional = false;
  let checkedYear = NaN;
  for (let day = fromDate; day < toDate; ) {
    day = addCalendarDays(day, 1);
    const y = yearOf(day);
    if (y !== checkedYear) {
      checkedYear = y;
      if (!cal.hasOfficialData(y)) provisional = true;
    }
    if (cal.isWorkingDay(day)) count++;
  }
  return { count, provisional };
}

/**
 * N working days from instant `start` (DESIGN §4): d0 = local date of `start`; the deadline
 * is 00:00 local of the day after the N-th working day strictly after d0 — the start day
 * never counts (SAMR complaint rules / administrative practice), and a period that would end
 * inside a holiday lands after it.
 * Example: 2026-09-30T10:00+08:00, n = 5 → Oct 8, 9, 10 (adjusted Sat), 12, 13 → 2026-10-14T00:00+08:00.
 * @param start UTC instant the clock starts
 * @param n working days, integer 1…{@link MAX_WORKING_DAYS}
 * @param cal working-day calendar
 * @param tz business zone, default 'Asia/Shanghai'
 * @returns `dueAt` (UTC instant) and `provisional` = some day from d0+1 through the N-th
 *   working day lies in a year without official data (`cal.hasOfficialData`)
 * @throws RangeError for n < 1, n non-integer or too large, an invalid Date or unknown zone
 */
export function addWorkingDays(start: Date, n: number, cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): Deadline {
  assertWorkingDayCount(n, 'n');
  const d0 = localDate(start, tz);
  const { lastDay, provisional } = nthWorkingDayAfter(d0, n, cal);
  return { dueAt: startOfLocalDay(addCalendarDays(lastDay, 1), tz), provisional };
}

/**
 * Working days in (localDate(from), localDate(to)] — the days a pause adds to a working-day
 * clock (DESIGN §4 "Pauses"), and the working days a reply took (reports, DESIGN §9). Two
 * instants on the same local date → 0.
 * @param from UTC instant
 * @param to UTC instant, not before `from`
 * @returns whole working days
 * @throws RangeError when `to` < `from`, for an invalid Date or unknown zone
 */
export function workingDaysBetween(from: Date, to: Date, cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): number {
  assertInstant(from, 'from');
  assertInstant(to, 'to');
  if (to.getTime() < from.getTime()) throw new RangeError('to must not be before from');
  return workingDaysInDates(localDate(from, tz), localDate(to, tz), cal).count;
}

/** Validated pauses clipped to [start, …), open pause closed at asOf, sorted by `from`. */
function normalizePauses(input: DeadlineInput): { from: Date; to: Date }[] {
  const startMs = input.start.getTime();
  const out: { from: Date; to: Date }[] = [];
  for (const p of input.pauses ?? []) {
    assertInstant(p.from, 'pause.from');
    let to: Date;
    if (p.to === null) {
      if (input.asOf === undefined) throw new RangeError('asOf is required while a pause is still open');
      assertInstant(input.asOf, 'asOf');
      to = input.asOf;
    } else {
      assertInstant(p.to, 'pause.to');
      to = p.to;
    }
    if (to.getTime() < p.from.getTime()) {
      throw new RangeError(p.to === null ? 'asOf is before the start of the open pause' : 'a pause must not end before it starts');
    }
    if (to.getTime() <= startMs) continue; // entirely before this clock started
    const from = p.from.getTime() < startMs ? input.start : p.from;
    out.push({ from, to });
  }
  out.sort((a, b) => a.from.getTime() - b.from.getTime());
  for (let i = 1; i < out.length; i++) {
    if (out[i].from.getTime() < out[i - 1].to.getTime()) throw new RangeError('pauses must not overlap');
  }
  return out;
}

function validateInput(input: DeadlineInput, tz: string): void {
  assertInstant(input.start, 'start');
  assertZone(tz);
  const { unit, amount } = input.duration ?? ({} as Duration);
  if (unit === 'working_days') {
    assertWorkingDayCount(amount, 'duration.amount');
  } else if (unit === 'hours') {
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount <= 0) {
      throw new RangeError(`duration.amount must be a positive number of hours, got ${amount}`);
    }
  } else {
    throw new RangeError(`duration.unit must be 'working_days' or 'hours', got ${JSON.stringify(unit)}`);
  }
  const ext = input.extensionWorkingDays ?? 0;
  if (!Number.isInteger(ext) || ext < 0 || ext > MAX_WORKING_DAYS) {
    throw new RangeError(`extensionWorkingDays must be an integer from 0 to ${MAX_WORKING_DAYS}, got ${ext}`);
  }
  if (input.asOf !== undefined) assertInstant(input.asOf, 'asOf');
}

/**
 * The due instant of a clock (DESIGN §4): recompute from scratch, never patch.
 *
 * Working-day clock: dueAt = addWorkingDays(start, amount + pauseDays + extensionWorkingDays),
 * where each pause adds the working days in (local date of its start, local date of its end]
 * (a pause within one local day adds 0). `provisional` when a counted day — of the deadline
 * walk or of any pause interval — lies in a year without official data.
 *
 * Hour clock (urgent tickets): dueAt = start + amount hours + the exact total paused time.
 * Decision: an approved extension on an hour clock adds 24 h per extension working day (the
 * API grants extensions in working days only). Never provisional.
 *
 * Pauses: any order; a pause starting before `start` counts only from `start`, one ending
 * before `start` is ignored; an open pause (`to: null`) counts as ending at `asOf`, so the
 * result is the deadline if the clock resumed at `asOf`. A pause adds its time even if it
 * began after the deadline had passed (DESIGN §4 gives no exception).
 * @returns `{ dueAt: UTC instant, provisional }`
 * @throws RangeError for an invalid unit or amount (working days: integer ≥ 1; hours: > 0),
 *   extensionWorkingDays not an integer ≥ 0, an invalid Date, an unknown zone, a pause
 *   ending before it starts, overlapping pauses, or an open pause without `asOf` (or with
 *   `asOf` before the pause start)
 */
export function computeDeadline(input: DeadlineInput, cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): Deadline {
  validateInput(input, tz);
  const pauses = normalizePauses(input);
  const ext = input.extensionWorkingDays ?? 0;
  if (input.duration.unit === 'hours') {
    const paused = pauses.reduce((ms, p) => ms + (p.to.getTime() - p.from.getTime()), 0);
    const dueMs = input.start.getTime() + input.duration.amount * HOUR_MS + paused + ext * 24 * HOUR_MS;
    return { dueAt: new Date(dueMs), provisional: false };
  }
  let pauseDays = 0;
  let pauseProvisional = false;
  for (const p of pauses) {
    const r = workingDaysInDates(localDate(p.from, tz), localDate(p.to, tz), cal);
    pauseDays += r.count;
    pauseProvisional ||= r.provisional;
  }
  const total = input.duration.amount + pauseDays + ext;
  assertWorkingDayCount(total, 'total working days');
  const due = addWorkingDays(input.start, total, cal, tz);
  return { dueAt: due.dueAt, provisional: due.provisional || pauseProvisional };
}

/**
 * The instant a ticket becomes "due soon" (DESIGN §4: on the last working day before a
 * deadline; in the last quarter of an hour clock).
 * Working-day clock: 00:00 local of the last working day before dueAt, i.e. the start of the
 * final counted working day. Hour clock: dueAt − amount/4 hours (pauses and extensions are
 * already in dueAt; the quarter is of the nominal amount).
 * @returns UTC instant
 * @throws as {@link computeDeadline}
 */
export function dueSoonFrom(input: DeadlineInput, cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): Date {
  const { dueAt } = computeDeadline(input, cal, tz);
  if (input.duration.unit === 'hours') {
    return new Date(dueAt.getTime() - (input.duration.amount * HOUR_MS) / 4);
  }
  // dueAt is 00:00 local of the day after the last counted working day
  return startOfLocalDay(addCalendarDays(localDate(dueAt, tz), -1), tz);
}

/**
 * Objection window of a result notice counted in working days (DESIGN §6): it opens at 00:00
 * local on `publishedOn`; the publication day counts when it is a working day, then the
 * following working days, until `workingDays` are counted; `lastDay` is that day and the
 * window closes at 00:00 local of the day after it. (Unlike §4 clocks, the start day counts.)
 * @param publishedOn `'YYYY-MM-DD'` publication date
 * @param workingDays integer 1…{@link MAX_WORKING_DAYS} (default in the product: 5)
 * @returns `opensAt`, `closesAt` (UTC instants), `lastDay` (`'YYYY-MM-DD'`), `provisional`
 *   = a day from publishedOn through lastDay lies in a year without official data
 * @throws RangeError for an invalid date, workingDays < 1 or non-integer, unknown zone
 */
export function objectionWindow(
  publishedOn: string,
  workingDays: number,
  cal: WorkCalendar,
  tz: string = DEFAULT_BUSINESS_TZ,
): { opensAt: Date; closesAt: Date; lastDay: string; provisional: boolean } {
  assertIsoDate(publishedOn, 'publishedOn');
  assertWorkingDayCount(workingDays, 'workingDays');
  assertZone(tz);
  // counting from the day before publication makes publishedOn itself the first candidate
  const { lastDay, provisional } = nthWorkingDayAfter(addCalendarDays(publishedOn, -1), workingDays, cal);
  return {
    opensAt: startOfLocalDay(publishedOn, tz),
    closesAt: startOfLocalDay(addCalendarDays(lastDay, 1), tz),
    lastDay,
    provisional,
  };
}

/**
 * Objection window given by explicit dates (DESIGN §6): opens 00:00 local of `fromDate`,
 * closes 00:00 local of the day after `untilDate` (both days inclusive; calendar days, no
 * working-day rule, so never provisional).
 * @param fromDate `'YYYY-MM-DD'` first day
 * @param untilDate `'YYYY-MM-DD'` last day, not before fromDate
 * @returns `opensAt`, `closesAt` (UTC instants), `lastDay` = untilDate
 * @throws RangeError for an invalid date, untilDate < fromDate, unknown zone
 */
export function explicitWindow(fromDate: string, untilDate: string, tz: string = DEFAULT_BUSINESS_TZ): { opensAt: Date; closesAt: Date; lastDay: string } {
  assertIsoDate(fromDate, 'fromDate');
  assertIsoDate(untilDate, 'untilDate');
  if (untilDate < fromDate) throw new RangeError(`untilDate ${untilDate} is before fromDate ${fromDate}`);
  return {
    opensAt: startOfLocalDay(fromDate, tz),
    closesAt: startOfLocalDay(addCalendarDays(untilDate, 1), tz),
    lastDay: untilDate,
  };
}
