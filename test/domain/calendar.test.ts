import test from 'ava';
import { execFileSync } from 'node:child_process';
import { getDayDetail } from 'chinese-days';
import { BUILTIN_OFFICIAL_YEARS, WorkCalendar, addCalendarDays, isValidIsoDate, isoWeekday, type DayType } from '../../src/domain/calendar';

const cal = new WorkCalendar();

// ---------------------------------------------------------------------------
// Which years chinese-days covers: asked from the library itself.
// ---------------------------------------------------------------------------

/**
 * Runs a snippet in a fresh Node process with the given TZ (chinese-days builds its tables at
 * load time in process-local time, so the zone must be set before it is loaded). The snippet
 * gets `cd` (chinese-days) and `cal` (the compiled calendar module) and must return JSON-able data.
 */
function inProcessWithTz<T>(tz: string, body: string): T {
  const script = `
    const cd = require(${JSON.stringify(require.resolve('chinese-days'))});
    const cal = require(${JSON.stringify(require.resolve('../../src/domain/calendar'))});
    const out = (() => { ${body} })();
    process.stdout.write(JSON.stringify(out));
  `;
  const stdout = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
  return JSON.parse(stdout) as T;
}

test('BUILTIN_OFFICIAL_YEARS is exactly the span of years chinese-days has holiday data for', (t) => {
  // asked from the library's functions (in Asia/Shanghai, where its tables are built right):
  // includeWeekends=false lists only the dates of its official holiday table
  const covered = inProcessWithTz<number[]>(
    'Asia/Shanghai',
    `
    const years = [];
    for (let y = 1990; y <= 2035; y++) {
      if (cd.getHolidaysInRange(new Date(y, 0, 1, 12), new Date(y, 11, 31, 12), false).length > 0) years.push(y);
    }
    return years;
  `,
  );
  t.is(covered[0], 2004);
  t.is(covered[covered.length - 1], 2026);
  t.is(covered.length, 2026 - 2004 + 1); // contiguous
  t.deepEqual(BUILTIN_OFFICIAL_YEARS, { first: covered[0], last: covered[covered.length - 1] });
  // and from its data file, which WorkCalendar reads
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const data = require('chinese-days/dist/chinese-days.json') as { holidays: Record<string, string> };
  const fileYears = [...new Set(Object.keys(data.holidays).map((d) => Number(d.slice(0, 4))))].sort((a, b) => a - b);
  t.deepEqual(fileYears, covered);
});

test('WorkCalendar agrees with chinese-days isWorkday on every day 2004–2026', (t) => {
  const mismatches = inProcessWithTz<string[]>(
    'Asia/Shanghai',
    `
    const c = new cal.WorkCalendar();
    const bad = [];
    for (let ms = Date.UTC(2004, 0, 1); ms <= Date.UTC(2026, 11, 31); ms += 86400000) {
      const d = new Date(ms).toISOString().slice(0, 10);
      const [y, m, day] = d.split('-').map(Number);
      const lib = cd.isWorkday(new Date(y, m - 1, day, 12));
      if (lib !== c.isWorkingDay(d) || c.dayType(d).source !== 'chinese-days') bad.push(d);
    }
    return bad;
  `,
  );
  t.deepEqual(mismatches, []);
});

test('the trap: chinese-days silently calls 2027 holidays working days; WorkCalendar marks them unofficial', (t) => {
  t.true(getDayDetail(new Date(2027, 0, 1, 12)).work); // New Year's Day 2027, a Friday
  t.true(getDayDetail(new Date(2027, 9, 1, 12)).work); // National Day 2027, a Friday
  t.false(cal.hasOfficialData(2027));
  t.deepEqual(cal.dayType('2027-01-01'), { type: 'workday', source: 'weekday-rule' });
  t.deepEqual(cal.dayType('2027-01-02'), { type: 'holiday', source: 'weekday-rule' });
});

// ---------------------------------------------------------------------------
// Holiday weeks of 2025 and 2026, every day, as published by the State Council:
// 2025: 国办发明电〔2024〕12号, https://www.gov.cn/zhengce/zhengceku/202411/content_6986383.htm
// 2026: https://www.gov.cn/zhengce/zhengceku/202511/content_7047091.htm — as held in chinese-days 1.5.7
//   (node_modules/chinese-days/src/holidays/generate.ts):
//   元旦 1月1日(四)–3日(六), 1月4日(日)上班; 春节 2月15日(日)–23日(一), 2月14日(六)、2月28日(六)上班;
//   清明 4月4日(六)–6日(一); 劳动节 5月1日(五)–5日(二), 5月9日(六)上班; 端午 6月19日(五)–21日(日);
//   中秋 9月25日(五)–27日(日); 国庆 10月1日(四)–7日(三), 9月20日(日)、10月10日(六)上班.
// W = working day, H = not a working day (holiday or ordinary weekend).
// ---------------------------------------------------------------------------

type Row = [date: string, working: boolean, note: string];
const W = true;
const H = false;

const holidayWeeks: Record<string, Row[]> = {
  '2025 New Year': [
    ['2024-12-31', W, 'Tue'],
    ['2025-01-01', H, 'Wed New Year'],
    ['2025-01-02', W, 'Thu'],
    ['2025-01-04', H, 'Sat'],
  ],
  '2025 Spring Festival': [
    ['2025-01-25', H, 'Sat'],
    ['2025-01-26', W, 'Sun adjusted working day'],
    ['2025-01-27', W, 'Mon'],
    ['2025-01-28', H, 'Tue eve'],
    ['2025-01-29', H, 'Wed'],
    ['2025-01-30', H, 'Thu'],
    ['2025-01-31', H, 'Fri'],
    ['2025-02-01', H, 'Sat'],
    ['2025-02-02', H, 'Sun'],
    ['2025-02-03', H, 'Mon'],
    ['2025-02-04', H, 'Tue'],
    ['2025-02-05', W, 'Wed'],
    ['2025-02-07', W, 'Fri'],
    ['2025-02-08', W, 'Sat adjusted working day'],
    ['2025-02-09', H, 'Sun'],
  ],
  '2025 Qingming': [
    ['2025-04-03', W, 'Thu'],
    ['2025-04-04', H, 'Fri'],
    ['2025-04-05', H, 'Sat'],
    ['2025-04-06', H, 'Sun'],
    ['2025-04-07', W, 'Mon'],
  ],
  '2025 Labour Day': [
    ['2025-04-26', H, 'Sat'],
    ['2025-04-27', W, 'Sun adjusted working day'],
    ['2025-04-30', W, 'Wed'],
    ['2025-05-01', H, 'Thu'],
    ['2025-05-02', H, 'Fri'],
    ['2025-05-03', H, 'Sat'],
    ['2025-05-04', H, 'Sun'],
    ['2025-05-05', H, 'Mon'],
    ['2025-05-06', W, 'Tue'],
  ],
  '2025 Dragon Boat': [
    ['2025-05-30', W, 'Fri'],
    ['2025-05-31', H, 'Sat'],
    ['2025-06-01', H, 'Sun'],
    ['2025-06-02', H, 'Mon'],
    ['2025-06-03', W, 'Tue'],
  ],
  '2025 National Day and Mid-Autumn': [
    ['2025-09-27', H, 'Sat'],
    ['2025-09-28', W, 'Sun adjusted working day'],
    ['2025-09-30', W, 'Tue'],
    ['2025-10-01', H, 'Wed'],
    ['2025-10-02', H, 'Thu'],
    ['2025-10-03', H, 'Fri'],
    ['2025-10-04', H, 'Sat'],
    ['2025-10-05', H, 'Sun'],
    ['2025-10-06', H, 'Mon Mid-Autumn'],
    ['2025-10-07', H, 'Tue'],
    ['2025-10-08', H, 'Wed'],
    ['2025-10-09', W, 'Thu'],
    ['2025-10-10', W, 'Fri'],
    ['2025-10-11', W, 'Sat adjusted working day'],
    ['2025-10-12', H, 'Sun'],
  ],
  '2026 New Year': [
    ['2025-12-31', W, 'Wed'],
    ['2026-01-01', H, 'Thu'],
    ['2026-01-02', H, 'Fri'],
    ['2026-01-03', H, 'Sat'],
    ['2026-01-04', W, 'Sun adjusted working day'],
    ['2026-01-05', W, 'Mon'],
  ],
  '2026 Spring Festival': [
    ['2026-02-13', W, 'Fri'],
    ['2026-02-14', W, 'Sat adjusted working day'],
    ['2026-02-15', H, 'Sun'],
    ['2026-02-16', H, 'Mon eve'],
    ['2026-02-17', H, 'Tue'],
    ['2026-02-18', H, 'Wed'],
    ['2026-02-19', H, 'Thu'],
    ['2026-02-20', H, 'Fri'],
    ['2026-02-21', H, 'Sat'],
    ['2026-02-22', H, 'Sun'],
    ['2026-02-23', H, 'Mon'],
    ['2026-02-24', W, 'Tue'],
    ['2026-02-27', W, 'Fri'],
    ['2026-02-28', W, 'Sat adjusted working day'],
    ['2026-03-01', H, 'Sun'],
  ],
  '2026 Qingming': [
    ['2026-04-03', W, 'Fri'],
    ['2026-04-04', H, 'Sat'],
    ['2026-04-05', H, 'Sun'],
    ['2026-04-06', H, 'Mon'],
    ['2026-04-07', W, 'Tue'],
  ],
  '2026 Labour Day': [
    ['2026-04-30', W, 'Thu'],
    ['2026-05-01', H, 'Fri'],
    ['2026-05-02', H, 'Sat'],
    ['2026-05-03', H, 'Sun'],
    ['2026-05-04', H, 'Mon'],
    ['2026-05-05', H, 'Tue'],
    ['2026-05-06', W, 'Wed'],
    ['2026-05-08', W, 'Fri'],
    ['2026-05-09', W, 'Sat adjusted working day'],
    ['2026-05-10', H, 'Sun'],
  ],
  '2026 Dragon Boat': [
    ['2026-06-18', W, 'Thu'],
    ['2026-06-19', H, 'Fri'],
    ['2026-06-20', H, 'Sat'],
    ['2026-06-21', H, 'Sun'],
    ['2026-06-22', W, 'Mon'],
  ],
  '2026 Mid-Autumn and National Day': [
    ['2026-09-19', H, 'Sat'],
    ['2026-09-20', W, 'Sun adjusted working day'],
    ['2026-09-24', W, 'Thu'],
    ['2026-09-25', H, 'Fri Mid-Autumn'],
    ['2026-09-26', H, 'Sat'],
    ['2026-09-27', H, 'Sun'],
    ['2026-09-28', W, 'Mon'],
    ['2026-09-30', W, 'Wed'],
    ['2026-10-01', H, 'Thu'],
    ['2026-10-02', H, 'Fri'],
    ['2026-10-03', H, 'Sat'],
    ['2026-10-04', H, 'Sun'],
    ['2026-10-05', H, 'Mon'],
    ['2026-10-06', H, 'Tue'],
    ['2026-10-07', H, 'Wed'],
    ['2026-10-08', W, 'Thu'],
    ['2026-10-09', W, 'Fri'],
    ['2026-10-10', W, 'Sat adjusted working day'],
    ['2026-10-11', H, 'Sun'],
  ],
};

const isWorkingDayRow = test.macro({
  exec(t, _week: string, date: string, working: boolean, note: string) {
    t.is(cal.isWorkingDay(date), working, `${date} (${note})`);
    t.is(cal.dayType(date).source, 'chinese-days');
  },
  title(_provided, week: string, date: string, working: boolean, note: string) {
    return `isWorkingDay ${week}: ${date} ${note} → ${working ? 'working' : 'not working'}`;
  },
});

for (const [week, rows] of Object.entries(holidayWeeks)) {
  for (const [date, working, note] of rows) test(isWorkingDayRow, week, date, working, note);
}

// ---------------------------------------------------------------------------
// yearSchedule = the diff from plain Mon–Fri (GET /calendar/:year)
// ---------------------------------------------------------------------------

test('yearSchedule 2025: weekday holidays and working weekends', (t) => {
  t.deepEqual(cal.yearSchedule(2025), {
    year: 2025,
    official: true,
    holidays: [
      '2025-01-01',
      '2025-01-28',
      '2025-01-29',
      '2025-01-30',
      '2025-01-31',
      '2025-02-03',
      '2025-02-04',
      '2025-04-04',
      '2025-05-01',
      '2025-05-02',
      '2025-05-05',
      '2025-06-02',
      '2025-10-01',
      '2025-10-02',
      '2025-10-03',
      '2025-10-06',
      '2025-10-07',
      '2025-10-08',
    ],
    workdays: ['2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11'],
  });
});

test('yearSchedule 2026: weekday holidays and working weekends', (t) => {
  t.deepEqual(cal.yearSchedule(2026), {
    year: 2026,
    official: true,
    holidays: [
      '2026-01-01',
      '2026-01-02',
      '2026-02-16',
      '2026-02-17',
      '2026-02-18',
      '2026-02-19',
      '2026-02-20',
      '2026-02-23',
      '2026-04-06',
      '2026-05-01',
      '2026-05-04',
      '2026-05-05',
      '2026-06-19',
      '2026-09-25',
      '2026-10-01',
      '2026-10-02',
      '2026-10-05',
      '2026-10-06',
      '2026-10-07',
    ],
    workdays: ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'],
  });
});

test('yearSchedule 2027 without data: not official, no differences', (t) => {
  t.deepEqual(cal.yearSchedule(2027), { year: 2027, official: false, holidays: [], workdays: [] });
});

test('yearSchedule includes overrides but overrides do not make a year official', (t) => {
  const c = new WorkCalendar({ overrides: { '2027-01-01': 'holiday', '2027-01-02': 'workday' } });
  t.deepEqual(c.yearSchedule(2027), { year: 2027, official: false, holidays: ['2027-01-01'], workdays: ['2027-01-02'] });
});

test('yearSchedule of a loaded year round-trips its lists (weekend holidays are implied)', (t) => {
  const c = new WorkCalendar({
    loadedYears: new Map([[2027, { holidays: ['2027-01-01', '2027-01-02'], workdays: ['2027-02-06'] }]]),
  });
  t.deepEqual(c.yearSchedule(2027), { year: 2027, official: true, holidays: ['2027-01-01'], workdays: ['2027-02-06'] });
});

// ---------------------------------------------------------------------------
// hasOfficialData
// ---------------------------------------------------------------------------

const officialRow = test.macro({
  exec(t, year: number, expected: boolean, _label: string, c: WorkCalendar) {
    t.is(c.hasOfficialData(year), expected);
  },
  title(_provided, year: number, expected: boolean, label: string) {
    return `hasOfficialData(${year}) ${label} → ${expected}`;
  },
});

test(officialRow, 2003, false, 'built-in', cal);
test(officialRow, 2004, true, 'built-in', cal);
test(officialRow, 2025, true, 'built-in', cal);
test(officialRow, 2026, true, 'built-in', cal);
test(officialRow, 2027, false, 'built-in', cal);
test(officialRow, 2027, true, 'loaded', new WorkCalendar({ loadedYears: new Map([[2027, { holidays: [], workdays: [] }]]) }));
test(officialRow, 2027, false, 'override only', new WorkCalendar({ overrides: { '2027-01-01': 'holiday' } }));

test('hasOfficialData rejects non-integer years', (t) => {
  t.throws(() => cal.hasOfficialData(2026.5), { instanceOf: RangeError });
  t.throws(() => cal.hasOfficialData(0), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------
// precedence: override > loaded year > chinese-days > weekday rule
// ---------------------------------------------------------------------------

const precedenceRow = test.macro({
  exec(t, _label: string, c: WorkCalendar, date: string, expected: { type: DayType; source: string }) {
    t.deepEqual(c.dayType(date), expected);
    t.is(c.isWorkingDay(date), expected.type === 'workday');
  },
  title(_provided, label: string, _c: WorkCalendar, date: string, expected: { type: DayType; source: string }) {
    return `dayType ${label}: ${date} → ${expected.type} (${expected.source})`;
  },
});

const loaded2026 = new Map([[2026, { holidays: ['2026-03-16'], workdays: ['2026-03-14'] }]]);
const loaded2027 = new Map([[2027, { holidays: ['2027-01-01'], workdays: ['2027-01-02'] }]]);

test(precedenceRow, 'built-in holiday', cal, '2026-10-01', { type: 'holiday', source: 'chinese-days' });
test(precedenceRow, 'built-in adjusted Saturday', cal, '2026-10-10', { type: 'workday', source: 'chinese-days' });
test(precedenceRow, 'built-in ordinary Sunday', cal, '2026-03-15', { type: 'holiday', source: 'chinese-days' });
test(precedenceRow, 'no data, Friday', cal, '2027-10-01', { type: 'workday', source: 'weekday-rule' });
test(precedenceRow, 'no data, Sunday', cal, '2027-10-03', { type: 'holiday', source: 'weekday-rule' });
test(precedenceRow, 'no data before 2004, Monday', cal, '2003-01-06', { type: 'workday', source: 'weekday-rule' });
test(precedenceRow, 'override (Record) beats chinese-days', new WorkCalendar({ overrides: { '2026-10-01': 'workday' } }), '2026-10-01', { type: 'workday', source: 'override' });
test(precedenceRow, 'override (Map) beats chinese-days', new WorkCalendar({ overrides: new Map([['2026-10-10', 'holiday' as DayType]]) }), '2026-10-10', { type: 'holiday', source: 'override' });
test(precedenceRow, 'override beats loaded year', new WorkCalendar({ overrides: { '2027-01-01': 'workday' }, loadedYears: loaded2027 }), '2027-01-01', { type: 'workday', source: 'override' });
test(precedenceRow, 'loaded year beats chinese-days (weekday made holiday)', new WorkCalendar({ loadedYears: loaded2026 }), '2026-03-16', { type: 'holiday', source: 'loaded' });
test(precedenceRow, 'loaded year beats chinese-days (Saturday made workday)', new WorkCalendar({ loadedYears: loaded2026 }), '2026-03-14', { type: 'workday', source: 'loaded' });
test(precedenceRow, 'loaded year replaces chinese-days for the whole year', new WorkCalendar({ loadedYears: loaded2026 }), '2026-10-01', { type: 'workday', source: 'loaded' });
test(precedenceRow, 'loaded 2027 holiday', new WorkCalendar({ loadedYears: loaded2027 }), '2027-01-01', { type: 'holiday', source: 'loaded' });
test(precedenceRow, 'loaded 2027 working Saturday', new WorkCalendar({ loadedYears: loaded2027 }), '2027-01-02', { type: 'workday', source: 'loaded' });
test(precedenceRow, 'loaded 2027 ordinary Monday', new WorkCalendar({ loadedYears: loaded2027 }), '2027-01-04', { type: 'workday', source: 'loaded' });
test(precedenceRow, 'loaded 2027 ordinary Sunday', new WorkCalendar({ loadedYears: loaded2027 }), '2027-01-03', { type: 'holiday', source: 'loaded' });

test('the calendar copies its source (later mutation has no effect)', (t) => {
  const overrides: Record<string, DayType> = { '2026-03-16': 'holiday' };
  const c = new WorkCalendar({ overrides });
  overrides['2026-03-17'] = 'holiday';
  t.false(c.isWorkingDay('2026-03-16'));
  t.true(c.isWorkingDay('2026-03-17'));
});

// ---------------------------------------------------------------------------
// bad input
// ---------------------------------------------------------------------------

const badSource = test.macro({
  exec(t, _label: string, build: () => unknown) {
    t.throws(build, { instanceOf: RangeError });
  },
  title(_provided, label: string) {
    return `constructor rejects ${label}`;
  },
});

test(badSource, 'an invalid override date', () => new WorkCalendar({ overrides: { '2026-02-30': 'holiday' } }));
test(badSource, 'an invalid override type', () => new WorkCalendar({ overrides: { '2026-02-03': 'off' as DayType } }));
test(badSource, 'a loaded date of another year', () => new WorkCalendar({ loadedYears: new Map([[2027, { holidays: ['2026-12-31'], workdays: [] }]]) }));
test(badSource, 'an invalid loaded date', () => new WorkCalendar({ loadedYears: new Map([[2027, { holidays: ['2027-1-1'], workdays: [] }]]) }));
test(badSource, 'a date both holiday and workday', () => new WorkCalendar({ loadedYears: new Map([[2027, { holidays: ['2027-01-02'], workdays: ['2027-01-02'] }]]) }));
test(badSource, 'a non-integer loaded year', () => new WorkCalendar({ loadedYears: new Map([[2027.5, { holidays: [], workdays: [] }]]) }));

test('isWorkingDay and dayType reject invalid dates', (t) => {
  t.throws(() => cal.isWorkingDay('2026-02-29'), { instanceOf: RangeError });
  t.throws(() => cal.dayType('20260301'), { instanceOf: RangeError });
});

const isoDateRow = test.macro({
  exec(t, s: string, expected: boolean) {
    t.is(isValidIsoDate(s), expected);
  },
  title(_provided, s: string, expected: boolean) {
    return `isValidIsoDate(${JSON.stringify(s)}) → ${expected}`;
  },
});

test(isoDateRow, '2026-01-01', true);
test(isoDateRow, '2026-12-31', true);
test(isoDateRow, '2024-02-29', true);
test(isoDateRow, '2000-02-29', true);
test(isoDateRow, '2026-02-29', false);
test(isoDateRow, '1900-02-29', false);
test(isoDateRow, '2026-04-31', false);
test(isoDateRow, '2026-13-01', false);
test(isoDateRow, '2026-00-10', false);
test(isoDateRow, '2026-01-00', false);
test(isoDateRow, '2026-1-01', false);
test(isoDateRow, '26-01-01', false);
test(isoDateRow, '2026-01-01T00:00', false);
test(isoDateRow, ' 2026-01-01', false);
test(isoDateRow, '2026-01-01\n', false);
test(isoDateRow, '2026/01/01', false);
test(isoDateRow, '２０２６-01-01', false);
test(isoDateRow, '0000-01-01', false);
test(isoDateRow, '', false);

test('isValidIsoDate is false for non-strings', (t) => {
  t.false(isValidIsoDate(undefined as unknown as string));
  t.false(isValidIsoDate(20260101 as unknown as string));
});

test('addCalendarDays and isoWeekday: pure date arithmetic', (t) => {
  t.is(addCalendarDays('2026-12-31', 1), '2027-01-01');
  t.is(addCalendarDays('2024-02-28', 1), '2024-02-29');
  t.is(addCalendarDays('2026-03-01', -1), '2026-02-28');
  t.is(addCalendarDays('2026-01-01', 365), '2027-01-01');
  t.is(isoWeekday('2026-10-10'), 6);
  t.is(isoWeekday('2026-10-11'), 7);
  t.is(isoWeekday('2026-10-12'), 1);
  t.is(isoWeekday('1970-01-01'), 4);
  t.is(isoWeekday('1969-12-31'), 3);
  t.throws(() => addCalendarDays('2026-01-01', 0.5), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------
// chinese-days builds its tables in process-local time and shifts every date by a day west of
// UTC; WorkCalendar reads the library's data file and must not depend on the process zone.
// ---------------------------------------------------------------------------

const expected2026Workdays = ['2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'];

for (const zone of ['America/Los_Angeles', 'UTC', 'Asia/Shanghai', 'Pacific/Kiritimati']) {
  test(`answers do not depend on the process time zone (TZ=${zone})`, (t) => {
    const r = inProcessWithTz<{ days: boolean[]; y2025: unknown; y2026: unknown }>(
      zone,
      `
      const c = new cal.WorkCalendar();
      return {
        days: ['2026-10-07', '2026-10-08', '2026-10-10', '2026-10-11', '2025-01-26', '2025-01-28'].map((d) => c.isWorkingDay(d)),
        y2025: c.yearSchedule(2025),
        y2026: c.yearSchedule(2026),
      };
    `,
    );
    t.deepEqual(r.days, [false, true, true, false, true, false]);
    t.deepEqual(r.y2025, cal.yearSchedule(2025));
    t.deepEqual(r.y2026, cal.yearSchedule(2026));
    t.deepEqual(cal.yearSchedule(2026).workdays, expected2026Workdays);
  });
}
