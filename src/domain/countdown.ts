/**
 * How much time a deadline leaves, in working days, as the pages say it to owners and staff
 * ("还剩2个工作日", "已逾期3个工作日"). Pure: the instant `now` and the calendar are passed in.
 *
 * A working-day deadline is 00:00 local of the day after its last day (DESIGN §4), so its
 * last day is the local date before the deadline's; an hour deadline (urgent tickets) that
 * falls inside a day has that day as its last day.
 */
import { WorkCalendar, addCalendarDays } from './calendar';
import { DEFAULT_BUSINESS_TZ, localDate, startOfLocalDay } from './deadline';

export type Countdown =
  /**
   * `workingDays` working days after today through the last day (today never counts, as the
   * start day does not: on the day of receipt a 5-day deadline has 5 left); `lastDay` is
   * today on the last day (0 left)
   */
  | { overdue: false; workingDays: number; lastDay: string }
  /** the deadline has passed; `workingDays` working days from the deadline's day through today (0: passed during days off) */
  | { overdue: true; workingDays: number; lastDay: string };

function workingDaysInRange(first: string, last: string, cal: WorkCalendar): number {
  let n = 0;
  for (let d = first; d <= last; d = addCalendarDays(d, 1)) if (cal.isWorkingDay(d)) n++;
  return n;
}

/**
 * The countdown to `dueAt` at `now` (both UTC instants).
 * Examples (Asia/Shanghai, 2026): due 2026-11-04T00:00+08:00 (last day Tue 3 Nov) —
 * at Mon 2 Nov 09:00 → 1 working day left after today; at Tue 3 Nov 23:00 → 0 (today is the
 * last day); at Wed 4 Nov 00:00 → overdue by 1; at Sat 7 Nov → overdue by 3 (Wed, Thu, Fri).
 * @throws RangeError for an invalid Date or unknown zone
 */
export function countdown(dueAt: Date, now: Date, cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): Countdown {
  const dueDate = localDate(dueAt, tz);
  const atMidnight = startOfLocalDay(dueDate, tz).getTime() === dueAt.getTime();
  const lastDay = atMidnight ? addCalendarDays(dueDate, -1) : dueDate;
  const today = localDate(now, tz);
  if (now.getTime() < dueAt.getTime()) {
    return { overdue: false, workingDays: today < lastDay ? workingDaysInRange(addCalendarDays(today, 1), lastDay, cal) : 0, lastDay };
  }
  // the first overdue day: the deadline's own date (for an hour deadline, the day it fell in)
  return { overdue: true, workingDays: dueDate <= today ? workingDaysInRange(dueDate, today, cal) : 0, lastDay };
}
