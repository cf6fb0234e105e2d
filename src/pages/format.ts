/**
 * How the pages write times and deadlines for people: Beijing time (the business zone) with
 * the date and the weekday, and the working days a deadline leaves, from the working-day
 * calendar (`domain/countdown.ts`).
 */
import { formatDate, formatDeadline } from '../notifications/labels';
import { localDate } from '../domain/deadline';
import { countdown } from '../domain/countdown';
import type { WorkCalendar } from '../domain/calendar';

function wallClock(d: Date, tz: string): { date: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? '';
  return { date: localDate(d, tz), time: `${p('hour')}:${p('minute')}` };
}

// One deadline formatter for pages, mails and texts (src/notifications/labels.ts).
export { formatDate, formatDeadline };

/** An instant as `2026年11月4日（周三）00:00` in the business zone; '' for none. */
export function formatInstant(d: Date | string | null | undefined, tz: string): string {
  if (!d) return '';
  const w = wallClock(typeof d === 'string' ? new Date(d) : d, tz);
  return `${formatDate(w.date)}${w.time}`;
}

/** A deadline as a person reads it: when, and how many working days are left or overdue. */
export interface DeadlineText {
  /** `2026年11月3日（周二）24:00前` (see {@link formatDeadline}) */
  when: string;
  /** `还剩2个工作日`, `今天是最后一个工作日`, `已逾期3个工作日`, `已过期限` */
  left: string;
  overdue: boolean;
}

/** The deadline `dueAt` at `now` in words (see {@link DeadlineText}); null for no deadline. */
export function deadlineText(dueAt: Date | string | null | undefined, now: Date, cal: WorkCalendar, tz: string): DeadlineText | null {
  if (!dueAt) return null;
  const due = typeof dueAt === 'string' ? new Date(dueAt) : dueAt;
  const c = countdown(due, now, cal, tz);
  let left: string;
  if (c.overdue) left = c.workingDays > 0 ? `已逾期${c.workingDays}个工作日` : '已过期限';
  else if (localDate(now, tz) === c.lastDay) left = '今天是最后一天';
  else if (c.workingDays === 0) left = '期限前已没有工作日';
  else left = `还剩${c.workingDays}个工作日`;
  return { when: formatDeadline(due, tz), left, overdue: c.overdue };
}

/** The facts `nextStep` reads (a ticket). */
export interface StepFacts {
  state: string;
  replyBy: Date | null;
  rateBy: Date | null;
}

/**
 * What happens next on a ticket, for its submitter: the reply deadline while the department
 * owes the answer, the request for information while it waits for them, the rating window
 * after the reply; null once it is closed.
 */
export function nextStep(t: StepFacts, now: Date, cal: WorkCalendar, tz: string): { label: string; due: DeadlineText | null } | null {
  switch (t.state) {
    case 'registered':
    case 'dispatched':
    case 'in_progress':
      return { label: '答复期限', due: deadlineText(t.replyBy, now, cal, tz) };
    case 'awaiting_info':
      return { label: '办理部门请您补充材料（期间答复期限暂停计算）', due: null };
    case 'replied':
      return { label: '请评价答复', due: deadlineText(t.rateBy, now, cal, tz) };
    default:
      return null;
  }
}
