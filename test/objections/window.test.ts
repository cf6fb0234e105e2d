import test from 'ava';
import { WorkCalendar } from '../../src/domain/calendar';
import { entryStatus, noticeStatus, windowOf, windowPhase } from '../../src/domain/objection-window';

const cal = new WorkCalendar({});
const TZ = 'Asia/Shanghai';
const spec = (publishedOn: string, windowWorkingDays: number | null = 5, windowFrom: string | null = null, windowUntil: string | null = null) => ({
  publishedOn,
  windowWorkingDays,
  windowFrom,
  windowUntil,
});
const iso = (w: ReturnType<typeof windowOf>) => ({ ...w, opensAt: w.opensAt.toISOString(), closesAt: w.closesAt.toISOString() });

const windows = test.macro((t, s: ReturnType<typeof spec>, expected: { firstDay: string; lastDay: string; opensAt: string; closesAt: string; provisional: boolean }) => {
  t.deepEqual(iso(windowOf(s, cal, TZ)), expected);
});
test('published on a working day, the National Day holiday inside', windows, spec('2026-09-29'), {
  firstDay: '2026-09-29',
  lastDay: '2026-10-10',
  opensAt: '2026-09-28T16:00:00.000Z',
  closesAt: '2026-10-10T16:00:00.000Z',
  provisional: false,
});
test('published on a holiday: opens that day, counts from the next working day', windows, spec('2026-10-01'), {
  firstDay: '2026-10-01',
  lastDay: '2026-10-13',
  opensAt: '2026-09-30T16:00:00.000Z',
  closesAt: '2026-10-13T16:00:00.000Z',
  provisional: false,
});
test('one working day on a Friday ends that Friday', windows, spec('2026-11-06', 1), {
  firstDay: '2026-11-06',
  lastDay: '2026-11-06',
  opensAt: '2026-11-05T16:00:00.000Z',
  closesAt: '2026-11-06T16:00:00.000Z',
  provisional: false,
});
test('explicit dates are calendar days, both inclusive', windows, spec('2026-09-29', null, '2026-09-30', '2026-10-02'), {
  firstDay: '2026-09-30',
  lastDay: '2026-10-02',
  opensAt: '2026-09-29T16:00:00.000Z',
  closesAt: '2026-10-02T16:00:00.000Z',
  provisional: false,
});
test('a window running into a year without official data is provisional', windows, spec('2026-12-29'), {
  firstDay: '2026-12-29',
  lastDay: '2027-01-04',
  opensAt: '2026-12-28T16:00:00.000Z',
  closesAt: '2027-01-04T16:00:00.000Z',
  provisional: true,
});

test('phase: open from opensAt inclusive to closesAt exclusive', (t) => {
  const w = windowOf(spec('2026-09-29'), cal, TZ);
  t.is(windowPhase(w, new Date('2026-09-28T15:59:59.999Z')), 'upcoming');
  t.is(windowPhase(w, new Date('2026-09-28T16:00:00.000Z')), 'open');
  t.is(windowPhase(w, new Date('2026-10-10T15:59:59.999Z')), 'open');
  t.is(windowPhase(w, new Date('2026-10-10T16:00:00.000Z')), 'closed');
  t.is(noticeStatus(new Date('2026-10-12T00:00:00Z'), w, new Date('2026-10-12T00:00:00Z')), 'finalized');
});

test('entry status: revoked wins, else disputed while an objection is undecided', (t) => {
  t.is(entryStatus(false, 0), 'listed');
  t.is(entryStatus(false, 2), 'disputed');
  t.is(entryStatus(true, 1), 'revoked');
});
