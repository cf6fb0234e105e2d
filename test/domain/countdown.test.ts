/** Working days left / overdue (`domain/countdown.ts`), as the pages show deadlines. */
import test from 'ava';
import { countdown } from '../../src/domain/countdown';
import { WorkCalendar } from '../../src/domain/calendar';

const cal = new WorkCalendar();
const D = (s: string) => new Date(s);

const cases: [string, string, string, { overdue: boolean; workingDays: number; lastDay: string }][] = [
  // due Wed 4 Nov 00:00: the last day is Tue 3 Nov
  ['Monday morning: Tuesday left after today', '2026-11-04T00:00:00+08:00', '2026-11-02T09:00:00+08:00', { overdue: false, workingDays: 1, lastDay: '2026-11-03' }],
  ['the last evening: today is the last day, none after it', '2026-11-04T00:00:00+08:00', '2026-11-03T23:00:00+08:00', { overdue: false, workingDays: 0, lastDay: '2026-11-03' }],
  ['at the deadline itself: overdue by one working day', '2026-11-04T00:00:00+08:00', '2026-11-04T00:00:00+08:00', { overdue: true, workingDays: 1, lastDay: '2026-11-03' }],
  ['Saturday after: Wed, Thu, Fri overdue', '2026-11-04T00:00:00+08:00', '2026-11-07T10:00:00+08:00', { overdue: true, workingDays: 3, lastDay: '2026-11-03' }],
  // due Mon 9 Nov 00:00: the last day is Sun 8 Nov, the last working day Fri 6 Nov
  ['a weekend before the deadline counts no working day', '2026-11-09T00:00:00+08:00', '2026-11-07T10:00:00+08:00', { overdue: false, workingDays: 0, lastDay: '2026-11-08' }],
  ['Friday before it: no working day after today', '2026-11-09T00:00:00+08:00', '2026-11-06T10:00:00+08:00', { overdue: false, workingDays: 0, lastDay: '2026-11-08' }],
  // National Day 2026: 1–7 Oct off, Sat 10 Oct an adjusted working day; due 14 Oct 00:00 (DESIGN §4 example)
  [
    'received on 30 Sep with 5 working days: 5 left (the holiday and the adjusted Saturday counted right)',
    '2026-10-14T00:00:00+08:00',
    '2026-09-30T10:00:00+08:00',
    { overdue: false, workingDays: 5, lastDay: '2026-10-13' },
  ],
  ['overdue across a weekend with the adjusted Saturday', '2026-10-09T00:00:00+08:00', '2026-10-12T10:00:00+08:00', { overdue: true, workingDays: 3, lastDay: '2026-10-08' }],
  ['overdue during days off only: 0 working days', '2026-10-02T00:00:00+08:00', '2026-10-05T10:00:00+08:00', { overdue: true, workingDays: 0, lastDay: '2026-10-01' }],
  // an hour deadline (urgent: 24 h) inside a day: that day is its last day
  ['an hour deadline later today', '2026-11-03T15:30:00+08:00', '2026-11-03T09:00:00+08:00', { overdue: false, workingDays: 0, lastDay: '2026-11-03' }],
  ['an hour deadline passed this morning', '2026-11-03T08:30:00+08:00', '2026-11-03T09:00:00+08:00', { overdue: true, workingDays: 1, lastDay: '2026-11-03' }],
];

for (const [name, due, now, want] of cases) {
  test(`countdown: ${name}`, (t) => {
    t.deepEqual(countdown(D(due), D(now), cal, 'Asia/Shanghai'), want);
  });
}
