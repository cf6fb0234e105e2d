import test from 'ava';
import { WorkCalendar, type CalendarSource } from '../../src/domain/calendar';
import {
  MAX_WORKING_DAYS,
  addWorkingDays,
  computeDeadline,
  dueSoonFrom,
  explicitWindow,
  localDate,
  objectionWindow,
  startOfLocalDay,
  workingDaysBetween,
  type DeadlineInput,
} from '../../src/domain/deadline';

const cal = new WorkCalendar();
/** an instant written with its offset, e.g. at('2026-09-30T10:00+08:00') */
const at = (s: string): Date => {
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`bad test instant ${s}`);
  return d;
};
/** UTC instant of 00:00 Asia/Shanghai on a date, spelled out independently of the code under test */
const midnightCST = (date: string): string => at(`${date}T00:00+08:00`).toISOString();

// ---------------------------------------------------------------------------
// addWorkingDays: N working days from an instant (DESIGN §4)
// ---------------------------------------------------------------------------

const addRow = test.macro({
  exec(t, start: string, n: number, dueLocal: string, provisional: boolean, source: CalendarSource | undefined, _note: string) {
    const c = source ? new WorkCalendar(source) : cal;
    const r = addWorkingDays(at(start), n, c);
    t.is(r.dueAt.toISOString(), midnightCST(dueLocal));
    t.is(r.provisional, provisional);
  },
  title(_provided, start: string, n: number, dueLocal: string, provisional: boolean, _source: CalendarSource | undefined, note: string) {
    return `addWorkingDays ${start} + ${n} wd → ${dueLocal}T00:00+08:00${provisional ? ' (provisional)' : ''} — ${note}`;
  },
});

// DESIGN examples
test(addRow, '2026-04-30T15:00+08:00', 1, '2026-05-07', false, undefined, 'normal complaint sign-for: May 1–5 holiday, May 6');
test(addRow, '2026-04-30T15:00+08:00', 5, '2026-05-12', false, undefined, 'normal complaint reply: May 6, 7, 8, 9 (adjusted Sat), 11');
test(addRow, '2026-09-30T10:00+08:00', 5, '2026-10-14', false, undefined, 'Oct 8, 9, 10 (adjusted Sat), 12, 13');
test(addRow, '2026-09-30T10:00+08:00', 1, '2026-10-09', false, undefined, 'Oct 8');
// holiday weeks of 2025
test(addRow, '2024-12-31T10:00+08:00', 1, '2025-01-03', false, undefined, '2025 New Year: Jan 1 off, Jan 2');
test(addRow, '2025-01-24T10:00+08:00', 5, '2025-02-08', false, undefined, '2025 Spring Festival: Jan 26 (Sun), 27, Feb 5, 6, 7');
test(addRow, '2025-01-24T10:00+08:00', 6, '2025-02-09', false, undefined, '2025 Spring Festival: … Feb 8 (adjusted Sat)');
test(addRow, '2025-04-03T10:00+08:00', 1, '2025-04-08', false, undefined, '2025 Qingming: Apr 4–6 off, Apr 7');
test(addRow, '2025-04-25T10:00+08:00', 2, '2025-04-29', false, undefined, '2025 Labour Day: Apr 27 (Sun), Apr 28');
test(addRow, '2025-04-30T10:00+08:00', 1, '2025-05-07', false, undefined, '2025 Labour Day: May 1–5 off, May 6');
test(addRow, '2025-05-30T10:00+08:00', 1, '2025-06-04', false, undefined, '2025 Dragon Boat: May 31–Jun 2 off, Jun 3');
test(addRow, '2025-09-26T10:00+08:00', 5, '2025-10-11', false, undefined, '2025 National Day: Sep 28 (Sun), 29, 30, Oct 9, 10');
test(addRow, '2025-09-26T10:00+08:00', 6, '2025-10-12', false, undefined, '2025 National Day: … Oct 11 (adjusted Sat)');
// holiday weeks of 2026
test(addRow, '2025-12-31T10:00+08:00', 1, '2026-01-05', false, undefined, '2026 New Year: Jan 1–3 off, Jan 4 (adjusted Sun)');
test(addRow, '2026-02-13T10:00+08:00', 1, '2026-02-15', false, undefined, '2026 Spring Festival: Feb 14 (adjusted Sat)');
test(addRow, '2026-02-13T10:00+08:00', 2, '2026-02-25', false, undefined, '2026 Spring Festival: Feb 14, then Feb 15–23 off, Feb 24');
test(addRow, '2026-02-27T10:00+08:00', 1, '2026-03-01', false, undefined, '2026 Spring Festival: Feb 28 (adjusted Sat)');
test(addRow, '2026-04-03T10:00+08:00', 1, '2026-04-08', false, undefined, '2026 Qingming: Apr 4–6 off, Apr 7');
test(addRow, '2026-05-08T10:00+08:00', 1, '2026-05-10', false, undefined, '2026 Labour Day: May 9 (adjusted Sat)');
test(addRow, '2026-06-18T10:00+08:00', 1, '2026-06-23', false, undefined, '2026 Dragon Boat: Jun 19–21 off, Jun 22');
test(addRow, '2026-09-18T10:00+08:00', 1, '2026-09-21', false, undefined, '2026 National Day: Sep 20 (adjusted Sun)');
test(addRow, '2026-09-24T10:00+08:00', 1, '2026-09-29', false, undefined, '2026 Mid-Autumn: Sep 25–27 off, Sep 28');
// local date, not UTC date: Fri 23:30 local = 15:30Z Fri; Sat 00:30 local = 16:30Z Fri
test(addRow, '2026-05-08T23:30+08:00', 1, '2026-05-10', false, undefined, 'd0 = Fri May 8 (15:30Z): first day is Sat May 9 (adjusted)');
test(addRow, '2026-05-09T00:30+08:00', 1, '2026-05-12', false, undefined, 'd0 = Sat May 9 local though UTC date is Fri (16:30Z): Mon May 11');
test(addRow, '2026-05-08T16:30:00Z', 1, '2026-05-12', false, undefined, 'same instant written in UTC');
test(addRow, '2026-03-16T00:00+08:00', 1, '2026-03-18', false, undefined, 'start exactly at local midnight: that day is d0 and does not count');
// provisional
test(addRow, '2026-12-28T09:00+08:00', 5, '2027-01-05', true, undefined, 'runs into 2027 (no data: Jan 1 counted as a weekday)');
test(addRow, '2026-12-28T09:00+08:00', 3, '2027-01-01', false, undefined, 'due instant in 2027 but every counted day in 2026');
test(addRow, '2026-12-31T09:00+08:00', 1, '2027-01-02', true, undefined, 'the one counted day is 2027-01-01');
test(addRow, '2027-03-01T09:00+08:00', 1, '2027-03-03', true, undefined, 'entirely in 2027');
test(addRow, '2026-12-28T09:00+08:00', 5, '2027-01-06', false, { loadedYears: new Map([[2027, { holidays: ['2027-01-01'], workdays: [] }]]) }, '2027 loaded: Jan 1 off → Dec 29, 30, 31, Jan 4, 5');
test(addRow, '2026-12-28T09:00+08:00', 5, '2027-01-06', true, { overrides: { '2027-01-01': 'holiday' } }, 'an override alone moves the date but stays provisional');
// admin overrides
test(addRow, '2026-09-30T10:00+08:00', 5, '2026-10-15', false, { overrides: { '2026-10-12': 'holiday' } }, 'override Oct 12 → holiday: one working day later');
test(addRow, '2026-03-13T10:00+08:00', 5, '2026-03-21', false, undefined, 'plain week: Mar 16–20');
test(addRow, '2026-03-13T10:00+08:00', 5, '2026-03-20', false, { overrides: { '2026-03-14': 'workday' } }, 'override Sat Mar 14 → workday: one day earlier');

test('addWorkingDays uses the zone it is given', (t) => {
  // 16:30Z Fri May 8 is still Friday in UTC: first counted day is Sat May 9 (adjusted)
  t.is(addWorkingDays(at('2026-05-08T16:30:00Z'), 1, cal, 'UTC').dueAt.toISOString(), '2026-05-10T00:00:00.000Z');
  t.is(addWorkingDays(at('2026-05-08T16:30:00Z'), 1, cal).dueAt.toISOString(), '2026-05-11T16:00:00.000Z');
});

const badN = test.macro({
  exec(t, n: number) {
    t.throws(() => addWorkingDays(at('2026-03-16T10:00+08:00'), n, cal), { instanceOf: RangeError });
  },
  title(_provided, n: number) {
    return `addWorkingDays rejects n = ${n}`;
  },
});
test(badN, 0);
test(badN, -1);
test(badN, 1.5);
test(badN, Number.NaN);
test(badN, MAX_WORKING_DAYS + 1);

test('addWorkingDays rejects an invalid Date and an unknown zone', (t) => {
  t.throws(() => addWorkingDays(new Date(Number.NaN), 1, cal), { instanceOf: RangeError });
  t.throws(() => addWorkingDays(at('2026-03-16T10:00+08:00'), 1, cal, 'Mars/Olympus'), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------
// computeDeadline: pauses, extensions, hour clocks
// ---------------------------------------------------------------------------

const deadlineRow = test.macro({
  exec(t, _note: string, input: DeadlineInput, dueIso: string, provisional: boolean) {
    const r = computeDeadline(input, cal);
    t.is(r.dueAt.toISOString(), dueIso);
    t.is(r.provisional, provisional);
  },
  title(_provided, note: string, _input: DeadlineInput, dueIso: string) {
    return `computeDeadline ${note} → ${dueIso}`;
  },
});

const wd = (amount: number) => ({ unit: 'working_days' as const, amount });
const hours = (amount: number) => ({ unit: 'hours' as const, amount });

test(deadlineRow, 'no pauses = addWorkingDays', { start: at('2026-09-30T10:00+08:00'), duration: wd(5) }, midnightCST('2026-10-14'), false);
// pause over a weekend and a holiday: pause adds working days in (Sep 29, Oct 9] = Sep 30, Oct 8, Oct 9 = 3,
// so 8 wd from Mon Sep 28: Sep 29, 30, Oct 8, 9, 10 (Sat), 12, 13, 14 → 2026-10-15T00:00+08:00
test(
  deadlineRow,
  'pause Sep 29 10:00 → Oct 9 11:00 adds 3 wd',
  {
    start: at('2026-09-28T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-09-29T10:00+08:00'), to: at('2026-10-09T11:00+08:00') }],
  },
  '2026-10-14T16:00:00.000Z',
  false,
);
test(deadlineRow, 'same start without the pause', { start: at('2026-09-28T09:00+08:00'), duration: wd(5) }, midnightCST('2026-10-11'), false);
test(
  deadlineRow,
  'pause within one local day adds 0',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-03-16T10:00+08:00'), to: at('2026-03-16T15:00+08:00') }],
  },
  midnightCST('2026-03-24'),
  false,
);
test(
  deadlineRow,
  'pause Mon 10:00 → Tue 09:00 adds 1',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-03-16T10:00+08:00'), to: at('2026-03-17T09:00+08:00') }],
  },
  midnightCST('2026-03-25'),
  false,
);
test(
  deadlineRow,
  'pause Fri → Mon over a plain weekend adds 1 (Mon)',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-03-20T10:00+08:00'), to: at('2026-03-23T09:00+08:00') }],
  },
  midnightCST('2026-03-25'),
  false,
);
test(
  deadlineRow,
  'two pauses add up (1 + 2), given out of order',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [
      { from: at('2026-03-18T10:00+08:00'), to: at('2026-03-20T10:00+08:00') },
      { from: at('2026-03-16T10:00+08:00'), to: at('2026-03-17T09:00+08:00') },
    ],
  },
  midnightCST('2026-03-27'),
  false,
);
test(
  deadlineRow,
  'open pause counted up to asOf: (Mar 17, Mar 19] adds 2',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-03-17T10:00+08:00'), to: null }],
    asOf: at('2026-03-19T08:00+08:00'),
  },
  midnightCST('2026-03-26'),
  false,
);
test(
  deadlineRow,
  'a pause begun before the clock start counts from the start',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-03-13T10:00+08:00'), to: at('2026-03-17T10:00+08:00') }],
  },
  midnightCST('2026-03-25'),
  false,
);
test(
  deadlineRow,
  'a pause ended before the clock start is ignored',
  {
    start: at('2026-03-16T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-03-12T10:00+08:00'), to: at('2026-03-13T10:00+08:00') }],
  },
  midnightCST('2026-03-24'),
  false,
);
test(
  deadlineRow,
  'approved extension of 2 wd',
  {
    start: at('2026-09-30T10:00+08:00'),
    duration: wd(5),
    extensionWorkingDays: 2,
  },
  midnightCST('2026-10-16'),
  false,
);
test(
  deadlineRow,
  'pause reaching into 2027 is provisional',
  {
    start: at('2026-12-01T09:00+08:00'),
    duration: wd(1),
    pauses: [{ from: at('2026-12-01T10:00+08:00'), to: at('2027-01-05T10:00+08:00') }],
  },
  midnightCST('2027-01-07'),
  true,
);
// hour clocks
test(
  deadlineRow,
  'urgent 24 h with a 3 h pause',
  {
    start: at('2026-05-01T10:00+08:00'),
    duration: hours(24),
    pauses: [{ from: at('2026-05-01T12:00+08:00'), to: at('2026-05-01T15:00+08:00') }],
  },
  at('2026-05-02T13:00+08:00').toISOString(),
  false,
);
test(deadlineRow, 'urgent sign-for 2 h ignores holidays', { start: at('2026-10-01T22:30+08:00'), duration: hours(2) }, at('2026-10-02T00:30+08:00').toISOString(), false);
test(
  deadlineRow,
  'hour clock with an open pause counted to asOf',
  {
    start: at('2026-05-01T10:00+08:00'),
    duration: hours(24),
    pauses: [{ from: at('2026-05-01T12:00+08:00'), to: null }],
    asOf: at('2026-05-01T14:30+08:00'),
  },
  at('2026-05-02T12:30+08:00').toISOString(),
  false,
);
test(
  deadlineRow,
  'hour clock: an extension working day adds 24 h',
  {
    start: at('2026-05-01T10:00+08:00'),
    duration: hours(24),
    extensionWorkingDays: 1,
  },
  at('2026-05-03T10:00+08:00').toISOString(),
  false,
);
test(deadlineRow, 'hour clock in 2027 is never provisional', { start: at('2027-02-01T10:00+08:00'), duration: hours(24) }, at('2027-02-02T10:00+08:00').toISOString(), false);

const badInput = test.macro({
  exec(t, _note: string, input: DeadlineInput) {
    t.throws(() => computeDeadline(input, cal), { instanceOf: RangeError });
  },
  title(_provided, note: string) {
    return `computeDeadline rejects ${note}`;
  },
});
const s0 = at('2026-03-16T09:00+08:00');
test(badInput, 'an open pause without asOf', { start: s0, duration: wd(5), pauses: [{ from: at('2026-03-17T10:00+08:00'), to: null }] });
test(badInput, 'asOf before the open pause began', { start: s0, duration: wd(5), pauses: [{ from: at('2026-03-17T10:00+08:00'), to: null }], asOf: at('2026-03-17T09:00+08:00') });
test(badInput, 'a pause ending before it starts', { start: s0, duration: wd(5), pauses: [{ from: at('2026-03-18T10:00+08:00'), to: at('2026-03-17T10:00+08:00') }] });
test(badInput, 'overlapping pauses', {
  start: s0,
  duration: wd(5),
  pauses: [
    { from: at('2026-03-17T10:00+08:00'), to: at('2026-03-19T10:00+08:00') },
    { from: at('2026-03-18T10:00+08:00'), to: at('2026-03-20T10:00+08:00') },
  ],
});
test(badInput, '0 working days', { start: s0, duration: wd(0) });
test(badInput, 'fractional working days', { start: s0, duration: wd(2.5) });
test(badInput, '0 hours', { start: s0, duration: hours(0) });
test(badInput, 'negative hours', { start: s0, duration: hours(-2) });
test(badInput, 'an unknown unit', { start: s0, duration: { unit: 'days' as 'hours', amount: 2 } });
test(badInput, 'a negative extension', { start: s0, duration: wd(5), extensionWorkingDays: -1 });
test(badInput, 'a fractional extension', { start: s0, duration: wd(5), extensionWorkingDays: 0.5 });
test(badInput, 'an invalid start', { start: new Date(Number.NaN), duration: wd(5) });

// ---------------------------------------------------------------------------
// dueSoonFrom (DESIGN §4: last working day before the deadline / last quarter of an hour clock)
// ---------------------------------------------------------------------------

const dueSoonRow = test.macro({
  exec(t, _note: string, input: DeadlineInput, expectedIso: string) {
    t.is(dueSoonFrom(input, cal).toISOString(), expectedIso);
  },
  title(_provided, note: string, _input: DeadlineInput, expectedIso: string) {
    return `dueSoonFrom ${note} → ${expectedIso}`;
  },
});

test(dueSoonRow, 'reply 5 wd from 2026-04-30 (due May 12): Mon May 11', { start: at('2026-04-30T15:00+08:00'), duration: wd(5) }, midnightCST('2026-05-11'));
test(dueSoonRow, 'sign 1 wd from 2026-04-30 (due May 7): May 6', { start: at('2026-04-30T15:00+08:00'), duration: wd(1) }, midnightCST('2026-05-06'));
test(dueSoonRow, '5 wd from 2026-09-30 (due Oct 14): Oct 13', { start: at('2026-09-30T10:00+08:00'), duration: wd(5) }, midnightCST('2026-10-13'));
test(dueSoonRow, 'last working day is the adjusted Sat May 9', { start: at('2026-05-08T10:00+08:00'), duration: wd(1) }, midnightCST('2026-05-09'));
test(dueSoonRow, '2 wd from Feb 13 (due Feb 25 after Spring Festival): Tue Feb 24', { start: at('2026-02-13T10:00+08:00'), duration: wd(2) }, midnightCST('2026-02-24'));
test(
  dueSoonRow,
  'with the pause example (due Oct 15): Oct 14',
  {
    start: at('2026-09-28T09:00+08:00'),
    duration: wd(5),
    pauses: [{ from: at('2026-09-29T10:00+08:00'), to: at('2026-10-09T11:00+08:00') }],
  },
  midnightCST('2026-10-14'),
);
test(
  dueSoonRow,
  'urgent 24 h with 3 h pause: due 13:00, due soon 6 h earlier',
  {
    start: at('2026-05-01T10:00+08:00'),
    duration: hours(24),
    pauses: [{ from: at('2026-05-01T12:00+08:00'), to: at('2026-05-01T15:00+08:00') }],
  },
  at('2026-05-02T07:00+08:00').toISOString(),
);
test(dueSoonRow, 'urgent sign-for 2 h: last 30 min', { start: at('2026-05-01T10:00+08:00'), duration: hours(2) }, at('2026-05-01T11:30+08:00').toISOString());

// ---------------------------------------------------------------------------
// workingDaysBetween: working days in (localDate(from), localDate(to)]
// ---------------------------------------------------------------------------

const betweenRow = test.macro({
  exec(t, from: string, to: string, expected: number, tz?: string) {
    t.is(workingDaysBetween(at(from), at(to), cal, tz), expected);
  },
  title(_provided, from: string, to: string, expected: number, tz?: string) {
    return `workingDaysBetween ${from} → ${to}${tz ? ` in ${tz}` : ''} = ${expected}`;
  },
});

test(betweenRow, '2026-09-29T10:00+08:00', '2026-10-09T11:00+08:00', 3);
test(betweenRow, '2026-03-16T10:00+08:00', '2026-03-16T10:00+08:00', 0);
test(betweenRow, '2026-03-16T01:00+08:00', '2026-03-16T23:00+08:00', 0);
test(betweenRow, '2026-09-30T23:59+08:00', '2026-10-08T00:01+08:00', 1);
test(betweenRow, '2026-05-08T23:30+08:00', '2026-05-09T00:30+08:00', 1);
test(betweenRow, '2026-05-08T15:30:00Z', '2026-05-08T16:30:00Z', 0, 'UTC');
test(betweenRow, '2025-01-24T10:00+08:00', '2025-02-10T10:00+08:00', 7);
test(betweenRow, '2026-03-13T10:00+08:00', '2026-03-16T10:00+08:00', 1);

test('workingDaysBetween rejects to < from', (t) => {
  t.throws(() => workingDaysBetween(at('2026-03-16T10:00+08:00'), at('2026-03-16T09:00+08:00'), cal), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------
// objection windows (DESIGN §6)
// ---------------------------------------------------------------------------

const objectionRow = test.macro({
  exec(t, publishedOn: string, n: number, lastDay: string, provisional: boolean) {
    const w = objectionWindow(publishedOn, n, cal);
    t.is(w.opensAt.toISOString(), midnightCST(publishedOn));
    t.is(w.lastDay, lastDay);
    // 00:00 +08:00 of the day after lastDay (Asia/Shanghai has no DST: + 24 h)
    t.is(w.closesAt.toISOString(), new Date(at(`${lastDay}T00:00+08:00`).getTime() + 86_400_000).toISOString());
    t.is(w.provisional, provisional);
  },
  title(_provided, publishedOn: string, n: number, lastDay: string, provisional: boolean) {
    return `objectionWindow published ${publishedOn}, ${n} wd → last day ${lastDay}${provisional ? ' (provisional)' : ''}`;
  },
});

test(objectionRow, '2026-09-30', 5, '2026-10-12', false); // Sep 30 counts, Oct 8, 9, 10 (Sat), 12
test(objectionRow, '2026-10-01', 5, '2026-10-13', false); // published on a holiday: Oct 8, 9, 10, 12, 13
test(objectionRow, '2026-03-16', 5, '2026-03-20', false); // Mon–Fri
test(objectionRow, '2026-03-14', 1, '2026-03-16', false); // published Saturday
test(objectionRow, '2026-05-08', 2, '2026-05-09', false); // Fri + adjusted Sat
test(objectionRow, '2026-12-28', 4, '2026-12-31', false);
test(objectionRow, '2026-12-30', 5, '2027-01-05', true); // Dec 30, 31, Jan 1 (no data), 4, 5

test('objectionWindow exact instants', (t) => {
  const w = objectionWindow('2026-09-30', 5, cal);
  t.deepEqual(
    { opensAt: w.opensAt.toISOString(), closesAt: w.closesAt.toISOString(), lastDay: w.lastDay, provisional: w.provisional },
    { opensAt: '2026-09-29T16:00:00.000Z', closesAt: '2026-10-12T16:00:00.000Z', lastDay: '2026-10-12', provisional: false },
  );
});

test('objectionWindow rejects bad input', (t) => {
  t.throws(() => objectionWindow('2026-09-30', 0, cal), { instanceOf: RangeError });
  t.throws(() => objectionWindow('2026-09-30', 2.5, cal), { instanceOf: RangeError });
  t.throws(() => objectionWindow('2026-09-31', 5, cal), { instanceOf: RangeError });
});

test('explicitWindow: 00:00 of the first day to 00:00 after the last day', (t) => {
  const w = explicitWindow('2026-06-01', '2026-06-05');
  t.is(w.opensAt.toISOString(), '2026-05-31T16:00:00.000Z');
  t.is(w.closesAt.toISOString(), '2026-06-05T16:00:00.000Z');
  t.is(w.lastDay, '2026-06-05');
});

test('explicitWindow: a one-day window, and another zone', (t) => {
  const one = explicitWindow('2026-12-31', '2026-12-31');
  t.is(one.opensAt.toISOString(), '2026-12-30T16:00:00.000Z');
  t.is(one.closesAt.toISOString(), '2026-12-31T16:00:00.000Z');
  const utc = explicitWindow('2026-06-01', '2026-06-05', 'UTC');
  t.is(utc.opensAt.toISOString(), '2026-06-01T00:00:00.000Z');
  t.is(utc.closesAt.toISOString(), '2026-06-06T00:00:00.000Z');
});

test('explicitWindow rejects until < from and invalid dates', (t) => {
  t.throws(() => explicitWindow('2026-06-05', '2026-06-04'), { instanceOf: RangeError });
  t.throws(() => explicitWindow('2026-06-05', '2026-06-31'), { instanceOf: RangeError });
});

// ---------------------------------------------------------------------------
// localDate / startOfLocalDay
// ---------------------------------------------------------------------------

test('localDate uses the business zone, not the UTC date', (t) => {
  t.is(localDate(at('2026-05-08T15:30:00Z')), '2026-05-08'); // Fri 23:30 local
  t.is(localDate(at('2026-05-08T16:30:00Z')), '2026-05-09'); // Sat 00:30 local
  t.is(localDate(at('2026-05-08T16:30:00Z'), 'UTC'), '2026-05-08');
  t.is(localDate(at('2026-05-08T03:00:00Z'), 'America/New_York'), '2026-05-07');
});

test('startOfLocalDay gives 00:00 local as a UTC instant', (t) => {
  t.is(startOfLocalDay('2026-10-14').toISOString(), '2026-10-13T16:00:00.000Z');
  t.is(startOfLocalDay('2026-10-14', 'UTC').toISOString(), '2026-10-14T00:00:00.000Z');
  t.is(startOfLocalDay('2026-03-08', 'America/New_York').toISOString(), '2026-03-08T05:00:00.000Z'); // DST day
  t.throws(() => startOfLocalDay('2026-10-32'), { instanceOf: RangeError });
  t.throws(() => startOfLocalDay('2026-10-14', 'Nowhere/City'), { instanceOf: RangeError });
  t.throws(() => localDate(new Date(Number.NaN)), { instanceOf: RangeError });
});

test('DESIGN §4 examples as literal UTC instants', (t) => {
  const received = at('2026-04-30T15:00+08:00');
  t.is(addWorkingDays(received, 1, cal).dueAt.toISOString(), '2026-05-06T16:00:00.000Z'); // 2026-05-07T00:00+08:00
  t.is(addWorkingDays(received, 5, cal).dueAt.toISOString(), '2026-05-11T16:00:00.000Z'); // 2026-05-12T00:00+08:00
  const sep30 = at('2026-09-30T10:00+08:00');
  t.is(addWorkingDays(sep30, 5, cal).dueAt.toISOString(), '2026-10-13T16:00:00.000Z'); // 2026-10-14T00:00+08:00
  t.is(addWorkingDays(sep30, 1, cal).dueAt.toISOString(), '2026-10-08T16:00:00.000Z'); // 2026-10-09T00:00+08:00
  // Fri 23:30 local (15:30Z) vs Sat 00:30 local (16:30Z, still Friday in UTC)
  t.is(addWorkingDays(at('2026-05-08T15:30:00Z'), 1, cal).dueAt.toISOString(), '2026-05-09T16:00:00.000Z');
  t.is(addWorkingDays(at('2026-05-08T16:30:00Z'), 1, cal).dueAt.toISOString(), '2026-05-11T16:00:00.000Z');
});
