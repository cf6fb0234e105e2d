/**
 * Working-day calendar (DESIGN §4 "Deadlines (the clock)", "Working day").
 *
 * A working day is Monday–Friday, except official holidays, plus the official adjusted
 * working days (调休上班). The official schedule comes from the npm package `chinese-days`
 * for the years it has data for ({@link BUILTIN_OFFICIAL_YEARS}), from a full year loaded
 * by the admin (`PUT /api/v1/calendar/:year`), and single dates can be overridden by the
 * admin (`PUT /api/v1/calendar/days/:date`).
 *
 * Pure code: dates are calendar dates as `'YYYY-MM-DD'` strings (no time, no zone); the
 * mapping from instants to local dates lives in `deadline.ts`. A `WorkCalendar` is an
 * immutable snapshot of its source: build a new one when the admin changes the calendar
 * (and recompute open deadlines — "recompute, never patch").
 */

/** Kind of a calendar day. */
export type DayType = 'holiday' | 'workday';

/** Where a day's type came from, in order of precedence. */
export type DayTypeSource = 'override' | 'loaded' | 'chinese-days' | 'weekday-rule';

/** A year's full official schedule as loaded by the admin (`PUT /api/v1/calendar/:year`). */
export interface LoadedYear {
  /** official holidays of that year, `'YYYY-MM-DD'` (weekend dates are allowed and redundant) */
  holidays: readonly string[];
  /** adjusted working days (调休上班) of that year, `'YYYY-MM-DD'` */
  workdays: readonly string[];
}

/** Inputs of a {@link WorkCalendar}. */
export interface CalendarSource {
  /** admin per-date overrides, 'YYYY-MM-DD' -> type; win over everything */
  overrides?: ReadonlyMap<string, DayType> | Record<string, DayType>;
  /** years whose full official schedule was loaded by the admin (PUT /calendar/:year): holidays and adjusted working days of that year. For such a year, a date is a working day iff (Mon–Fri and not in holidays) or in workdays. */
  loadedYears?: ReadonlyMap<number, LoadedYear>;
}

/**
 * The years for which the bundled `chinese-days` (1.5.7) holds the official State Council
 * schedule, inclusive. Found from the library itself: its holiday data (dist/chinese-days.json,
 * `getHolidaysInRange(…, false)`) starts with 2004-01-01 and ends with the 2026 schedule
 * (国务院办公厅 notice of Nov 2025, https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm).
 * For any other year the library silently answers plain Monday–Friday, so those years are
 * not official unless loaded. The test suite re-derives this range from the library, so
 * upgrading `chinese-days` fails a test until this constant is updated deliberately.
 */
export const BUILTIN_OFFICIAL_YEARS: { readonly first: number; readonly last: number } = Object.freeze({
  first: 2004,
  last: 2026,
});

const ISO_DATE_RE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return [31, isLeapYear(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

/**
 * Whether `s` is a strict calendar date `'YYYY-MM-DD'` that exists (proleptic Gregorian,
 * years 0001–9999, ASCII digits, zero-padded, no time or zone part). `'2024-02-29'` → true,
 * `'2026-02-29'`, `'2026-4-01'`, `'2026-04-01T00:00'` → false. Never throws (non-strings → false).
 */
export function isValidIsoDate(s: string): boolean {
  if (typeof s !== 'string') return false;
  const m = ISO_DATE_RE.exec(s);
  if (!m) return false;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** @throws RangeError when `date` is not a valid `'YYYY-MM-DD'` (see {@link isValidIsoDate}). */
export function assertIsoDate(date: string, what = 'date'): void {
  if (!isValidIsoDate(date)) {
    throw new RangeError(`${what} must be an existing date in the form YYYY-MM-DD, got ${JSON.stringify(date)}`);
  }
}

// Day numbers (days since 1970-01-01) from civil dates, integer arithmetic only
// (H. Hinnant's days_from_civil / civil_from_days), so no Date or time zone is involved.
function toDayNumber(date: string): number {
  const y0 = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  const d = Number(date.slice(8, 10));
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function fromDayNumber(n: number): string {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * The calendar date `n` days after `date` (negative `n`: before). Pure date arithmetic,
 * independent of any time zone.
 * @param date `'YYYY-MM-DD'`
 * @param n whole number of calendar days
 * @returns `'YYYY-MM-DD'`
 * @throws RangeError for an invalid date, a non-integer `n`, or a result outside years 0001–9999
 */
export function addCalendarDays(date: string, n: number): string {
  assertIsoDate(date);
  if (!Number.isSafeInteger(n)) throw new RangeError(`n must be an integer number of days, got ${n}`);
  const out = fromDayNumber(toDayNumber(date) + n);
  if (!isValidIsoDate(out)) throw new RangeError(`date out of range: ${date} + ${n} days`);
  return out;
}

/**
 * ISO weekday of a `'YYYY-MM-DD'` date: 1 = Monday … 7 = Sunday.
 * @throws RangeError for an invalid date
 */
export function isoWeekday(date: string): number {
  assertIsoDate(date);
  const n = toDayNumber(date); // 1970-01-01 was a Thursday (4)
  return ((((n + 3) % 7) + 7) % 7) + 1;
}

function isWeekend(date: string): boolean {
  return isoWeekday(date) >= 6;
}

function isReadonlyMap<K, V>(x: ReadonlyMap<K, V> | object): x is ReadonlyMap<K, V> {
  return x instanceof Map || (typeof (x as ReadonlyMap<K, V>).get === 'function' && typeof (x as ReadonlyMap<K, V>).entries === 'function');
}

function assertYear(year: number): void {
  if (!Number.isInteger(year) || year < 1 || year > 9999) {
    throw new RangeError(`year must be an integer 1–9999, got ${year}`);
  }
}

/**
 * The official schedule as published by `chinese-days` in its data file
 * `chinese-days/dist/chinese-days.json` (documented in its README for direct use; keys are
 * 'YYYY-MM-DD', values are names). Its `holidays` and `workdays` (adjusted working days) are
 * exactly what the library's `isWorkday`/`getDayDetail` consult. We read the file rather than
 * call those functions because the library builds its in-memory tables at load time by
 * parsing 'YYYY-MM-DD' as UTC and formatting in process-local time: in a process running west
 * of UTC (e.g. TZ=America/Los_Angeles) every entry is shifted one day earlier (2026-10-10, an
 * adjusted working Saturday, comes out as a Saturday off). The data file is generated once
 * and does not depend on the process zone; the test suite checks it matches the library's
 * functions, day by day, for 2004–2026 in a process running in Asia/Shanghai.
 */
interface ChineseDaysData {
  holidays: Readonly<Record<string, string>>;
  workdays: Readonly<Record<string, string>>;
}

function loadChineseDaysData(): ChineseDaysData {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const data: unknown = require('chinese-days/dist/chinese-days.json');
  const d = data as Partial<ChineseDaysData> | null;
  if (!d || typeof d.holidays !== 'object' || d.holidays === null || typeof d.workdays !== 'object' || d.workdays === null) {
    throw new Error('chinese-days/dist/chinese-days.json does not have the expected { holidays, workdays } shape');
  }
  return d as ChineseDaysData;
}

const CHINESE_DAYS: ChineseDaysData = loadChineseDaysData();
const hasOwn = (o: object, k: string): boolean => Object.hasOwn(o, k);

/** Working day by the chinese-days schedule: adjusted working day, or Mon–Fri and not a holiday. */
function chineseDaysIsWorkday(date: string): boolean {
  return hasOwn(CHINESE_DAYS.workdays, date) || (!isWeekend(date) && !hasOwn(CHINESE_DAYS.holidays, date));
}

/**
 * An immutable working-day calendar (DESIGN §4). Precedence for a date:
 * admin override > admin-loaded year > `chinese-days` (years in {@link BUILTIN_OFFICIAL_YEARS})
 * > plain Monday–Friday ("weekday rule", for years without official data).
 *
 * The source is copied and validated at construction.
 * @throws RangeError from the constructor when an override key is not a valid date or its
 *   value is not 'holiday' | 'workday', when a loaded year is not an integer 1–9999, or a
 *   loaded list holds an invalid date, a date of another year, or a date listed both as
 *   holiday and workday.
 */
export class WorkCalendar {
  private readonly overrides: Map<string, DayType>;
  private readonly loaded: Map<number, { holidays: Set<string>; workdays: Set<string> }>;
  private readonly cache = new Map<string, { type: DayType; source: DayTypeSource }>();

  /** What this calendar was built from, as plain data (`new WorkCalendar(cal.source())` is the same calendar; e.g. in another thread). */
  source(): { overrides: Map<string, DayType>; loadedYears: Map<number, LoadedYear> } {
    return {
      overrides: new Map(this.overrides),
      loadedYears: new Map([...this.loaded].map(([y, s]) => [y, { holidays: [...s.holidays], workdays: [...s.workdays] }])),
    };
  }

  constructor(source: CalendarSource = {}) {
    this.overrides = new Map();
    const entries: Iterable<[string, DayType]> =
      source.overrides === undefined ? [] : isReadonlyMap(source.overrides) ? source.overrides.entries() : Object.entries(source.overrides as Record<string, DayType>);
    for (const [date, type] of entries) {
      assertIsoDate(date, 'override date');
      if (type !== 'holiday' && type !== 'workday') {
        throw new RangeError(`override for ${date} must be 'holiday' or 'workday', got ${JSON.stringify(type)}`);
      }
      this.overrides.set(date, type);
    }

    this.loaded = new Map();
    for (const [year, sched] of source.loadedYears ?? []) {
      assertYear(year);
      const holidays = new Set<string>();
      const workdays = new Set<string>();
      for (const [list, set, what] of [
        [sched.holidays, holidays, 'holiday'],
        [sched.workdays, workdays, 'workday'],
      ] as const) {
        for (const date of list) {
          assertIsoDate(date, `loaded ${what}`);
          if (Number(date.slice(0, 4)) !== year) {
            throw new RangeError(`loaded ${what} ${date} does not belong to year ${year}`);
          }
          set.add(date);
        }
      }
      for (const date of holidays) {
        if (workdays.has(date)) throw new RangeError(`${date} is listed both as holiday and as workday`);
      }
      this.loaded.set(year, { holidays, workdays });
    }
  }

  /**
   * Whether `date` is a working day (DESIGN §4).
   * @param date `'YYYY-MM-DD'` (a local calendar date of the business zone)
   * @throws RangeError for an invalid date
   */
  isWorkingDay(date: string): boolean {
    return this.dayType(date).type === 'workday';
  }

  /**
   * Whether the official schedule of `year` is known: the years `chinese-days` covers
   * ({@link BUILTIN_OFFICIAL_YEARS}) and the years loaded by the admin. Single-date overrides
   * do not make a year official (DESIGN §4). Deadlines counting days of a non-official year
   * are provisional.
   * @throws RangeError when `year` is not an integer 1–9999
   */
  hasOfficialData(year: number): boolean {
    assertYear(year);
    return (year >= BUILTIN_OFFICIAL_YEARS.first && year <= BUILTIN_OFFICIAL_YEARS.last) || this.loaded.has(year);
  }

  /**
   * Type of `date` and which rule decided it: 'override' (admin per-date), 'loaded' (admin
   * loaded the year), 'chinese-days' (built-in official data) or 'weekday-rule' (plain
   * Mon–Fri for a year without official data).
   * @throws RangeError for an invalid date
   */
  dayType(date: string): { type: DayType; source: DayTypeSource } {
    assertIsoDate(date);
    const hit = this.cache.get(date);
    if (hit) return { ...hit };
    const result = this.computeDayType(date);
    this.cache.set(date, result);
    return { ...result };
  }

  private computeDayType(date: string): { type: DayType; source: DayTypeSource } {
    const override = this.overrides.get(date);
    if (override) return { type: override, source: 'override' };
    const year = Number(date.slice(0, 4));
    const loaded = this.loaded.get(year);
    if (loaded) {
      const work = loaded.workdays.has(date) || (!isWeekend(date) && !loaded.holidays.has(date));
      return { type: work ? 'workday' : 'holiday', source: 'loaded' };
    }
    if (year >= BUILTIN_OFFICIAL_YEARS.first && year <= BUILTIN_OFFICIAL_YEARS.last) {
      return { type: chineseDaysIsWorkday(date) ? 'workday' : 'holiday', source: 'chinese-days' };
    }
    return { type: isWeekend(date) ? 'holiday' : 'workday', source: 'weekday-rule' };
  }

  /**
   * The days of `year` that differ from plain Monday–Friday under this calendar (overrides
   * included): `holidays` = Mon–Fri dates that are not working days, `workdays` = Saturdays
   * and Sundays that are working days; both sorted ascending, `'YYYY-MM-DD'`. `official` is
   * {@link hasOfficialData}. Shape of `GET /api/v1/calendar/:year`; it can be PUT back as is.
   * @throws RangeError when `year` is not an integer 1–9999
   */
  yearSchedule(year: number): { year: number; official: boolean; holidays: string[]; workdays: string[] } {
    assertYear(year);
    const holidays: string[] = [];
    const workdays: string[] = [];
    const first = toDayNumber(`${String(year).padStart(4, '0')}-01-01`);
    const last = toDayNumber(`${String(year).padStart(4, '0')}-12-31`);
    for (let n = first; n <= last; n++) {
      const date = fromDayNumber(n);
      const work = this.isWorkingDay(date);
      if (isWeekend(date)) {
        if (work) workdays.push(date);
      } else if (!work) {
        holidays.push(date);
      }
    }
    return { year, official: this.hasOfficialData(year), holidays, workdays };
  }
}
