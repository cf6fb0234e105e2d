/**
 * Issue 13 item 14: `PUT /calendar/:year` ignores only the duplicate of a date the admin has
 * overridden; any other failed write fails the request and changes nothing (a silently lost
 * holiday is a wrong deadline). The failure is made real with a database trigger.
 */
import test from 'ava';
import { startHarness, Harness } from '../helpers/harness';
import { CalendarDay, CalendarYear } from '../../src/entities';

let h: Harness;
test.before(async () => {
  h = await startHarness({ start: '2026-11-02T09:00:00+08:00' });
});
test.after.always(async () => {
  await h?.close();
});

const YEAR = { holidays: ['2027-01-01', '2027-02-11', '2027-02-12'], workdays: ['2027-02-07'] };
const days2027 = async () => (await h.deps.db.getRepository(CalendarDay).find({ order: { date: 'ASC' } })).filter((d) => d.date.startsWith('2027'));

test.serial('an override of a date in the year stays the override (its duplicate is the one ignored)', async (t) => {
  t.is((await h.admin.put('/api/v1/calendar/days/2027-02-12', { type: 'workday', note: '本单位调整' })).status, 200);
  const r = await h.admin.put('/api/v1/calendar/2027', YEAR);
  t.is(r.status, 200);
  t.true(r.body.official);
  t.deepEqual(
    (await days2027()).map((d) => [d.date, d.type, d.source]),
    [
      ['2027-01-01', 'holiday', 'official'],
      ['2027-02-07', 'workday', 'official'],
      ['2027-02-11', 'holiday', 'official'],
      ['2027-02-12', 'workday', 'override'],
    ],
  );
});

test.serial('any other failed insert fails the load with a 500 and leaves the year as it was', async (t) => {
  const before = await days2027();
  const loadedBefore = await h.deps.db.getRepository(CalendarYear).findOneByOrFail({ year: 2027 });
  await h.deps.db.query(
    h.dialect === 'mysql'
      ? "CREATE TRIGGER calendar_boom BEFORE INSERT ON calendar_day FOR EACH ROW BEGIN IF NEW.date = '2027-05-03' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END IF; END"
      : "CREATE TRIGGER calendar_boom BEFORE INSERT ON calendar_day WHEN NEW.date = '2027-05-03' BEGIN SELECT RAISE(ABORT, 'boom'); END",
  );
  try {
    h.clock.advance(60_000);
    const r = await h.admin.put('/api/v1/calendar/2027', { holidays: ['2027-01-01', '2027-05-03'], workdays: [] });
    t.is(r.status, 500);
    t.is(r.body.code, 'internal-error');
    t.deepEqual(await days2027(), before, 'the official days of 2027 are unchanged');
    t.deepEqual(await h.deps.db.getRepository(CalendarYear).findOneByOrFail({ year: 2027 }), loadedBefore, 'still loaded as before');
  } finally {
    await h.deps.db.query('DROP TRIGGER calendar_boom');
  }
});
