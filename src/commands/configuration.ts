/**
 * The admin's configuration (DESIGN §4, §13): the working calendar (a year's official
 * schedule, single-day overrides), SLA policies and routing rules. Every change that moves
 * deadlines recomputes the open tickets' deadlines (recompute, never patch) and re-arms
 * their timers.
 */
import { randomUUID } from 'node:crypto';
import { CalendarDay, CalendarYear, Category, Department, RoutingRule, SlaPolicy } from '../entities';
import type { AppDeps } from '../deps';
import type { UserActor } from '../domain/lifecycle';
import { DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';
import { addWorkingDays } from '../domain/deadline';
import type { SlaPolicyValues } from '../domain/schedule';
import { AppError, fieldError } from '../errors';
import { inTransaction, insertUnlessDuplicate } from '../db';
import { recomputeOpenTickets } from './recompute';
import { invalidateReferenceData } from './reference-data';
import { loadCalendar } from './calendar';
import { markAnsweredSince } from './figures';

/** After a configuration change: caches cleared, open deadlines recomputed, timers re-armed. @returns tickets whose deadlines moved */
async function recomputeAll(deps: AppDeps, actor: UserActor, reason: string, filter: { kind?: string } = {}): Promise<number> {
  deps.calendar.invalidate();
  invalidateReferenceData();
  const cal = await loadCalendar(deps.db.manager);
  const changed = await recomputeOpenTickets(deps.db, { cal, tz: deps.config.businessTz, now: deps.clock.now(), actor, reason, ...filter });
  if (changed.length) deps.onTicketsChanged?.(changed);
  return changed.length;
}

/** N working days from `start` by the rule of DESIGN §4: `{ dueAt, provisional }` (UTC instant). */
export async function deadlineFrom(deps: AppDeps, start: Date, workingDays: number): Promise<{ dueAt: Date; provisional: boolean }> {
  return addWorkingDays(start, workingDays, await deps.calendar.get(deps.db.manager), deps.config.businessTz);
}

/** A year's holidays and adjusted working days, whether it is official, and the admin's overrides in it. */
export async function calendarYear(deps: AppDeps, year: number) {
  const cal = await deps.calendar.get(deps.db.manager);
  const overrides = await deps.db
    .getRepository(CalendarDay)
    .createQueryBuilder('d')
    .where('d.source = :s AND d.date LIKE :y', { s: 'override', y: `${year}-%` })
    .orderBy('d.date')
    .getMany();
  return { ...cal.yearSchedule(year), overrides: overrides.map((d) => ({ date: d.date, type: d.type, note: d.note })) };
}

/**
 * Loads a year's full official schedule (`PUT /calendar/:year`, DESIGN §4): replaces its
 * official days, marks the year official, recomputes open deadlines. A date the admin has
 * overridden keeps the override (its insert is the one duplicate ignored); any other failed
 * write fails the whole load and changes nothing.
 * @throws 422 on `holidays.i`/`workdays.i` (`wrong_year`), `workdays` (`duplicate`)
 * @returns the year as `calendarYear` shows it, with `recomputedTickets`
 */
export async function loadOfficialYear(deps: AppDeps, actor: UserActor, year: number, days: { holidays: string[]; workdays: string[] }) {
  const all = [...days.holidays.map((d, i) => ['holidays', i, d] as const), ...days.workdays.map((d, i) => ['workdays', i, d] as const)];
  const wrongYear = all.find(([, , d]) => Number(d.slice(0, 4)) !== year);
  if (wrongYear) throw fieldError(`${wrongYear[0]}.${wrongYear[1]}`, 'wrong_year', `${wrongYear[2]} is not in ${year}`);
  const both = days.holidays.find((d) => days.workdays.includes(d));
  if (both) throw fieldError('workdays', 'duplicate', `${both} is listed as both holiday and working day`);
  const now = deps.clock.now();
  await inTransaction(deps.db, async (em) => {
    await em
      .createQueryBuilder()
      .delete()
      .from(CalendarDay)
      .where('source = :s AND date LIKE :y', { s: 'official', y: `${year}-%` })
      .execute();
    // An override of that date stays the override; nothing else may be swallowed (a lost day is a wrong deadline).
    const insert = (date: string, type: 'holiday' | 'workday') => insertUnlessDuplicate(em, CalendarDay, { date, type, source: 'official', note: null, updatedAt: now });
    for (const d of new Set(days.holidays)) await insert(d, 'holiday');
    for (const d of new Set(days.workdays)) await insert(d, 'workday');
    await em.delete(CalendarYear, { year });
    await em.insert(CalendarYear, { year, loadedAt: now, loadedById: actor.userId });
    // working days to an answer given since may have changed: the report figures recompute them
    await markAnsweredSince(em, `${year}-01-01`, deps.config.businessTz);
  });
  const recomputedTickets = await recomputeAll(deps, actor, `calendar ${year} loaded`);
  const cal = await deps.calendar.get(deps.db.manager);
  return { ...cal.yearSchedule(year), recomputedTickets };
}

/** Overrides one day (`PUT /calendar/days/:date`): a holiday or a working day; recomputes open deadlines. */
export async function overrideCalendarDay(deps: AppDeps, actor: UserActor, date: string, day: { type: 'holiday' | 'workday'; note?: string }) {
  const now = deps.clock.now();
  await inTransaction(deps.db, async (em) => {
    await em.delete(CalendarDay, { date });
    await em.insert(CalendarDay, { date, type: day.type, source: 'override', note: day.note ?? null, updatedAt: now });
    await markAnsweredSince(em, date, deps.config.businessTz);
  });
  const recomputedTickets = await recomputeAll(deps, actor, `calendar override ${date}`);
  return { date, type: day.type, note: day.note ?? null, recomputedTickets };
}

/** The SLA policies, by kind and priority. */
export async function listSlaPolicies(deps: AppDeps): Promise<SlaPolicy[]> {
  return deps.db.getRepository(SlaPolicy).find({ order: { kind: 'ASC', priority: 'ASC' } });
}

/**
 * Sets one or more SLA policies (`PUT /sla-policies`, DESIGN §4) and recomputes the open
 * deadlines of those kinds. The sign-for period comes before the reply period (comparable
 * only in the same unit).
 * @throws 422 on `items.i` (`duplicate`) or `items.i.signAmount` (`not_before_reply`)
 */
export async function setSlaPolicies(deps: AppDeps, actor: UserActor, items: SlaPolicyValues[]): Promise<{ items: SlaPolicy[]; recomputedTickets: number }> {
  items.forEach((p, i) => {
    if (items.findIndex((q) => q.kind === p.kind && q.priority === p.priority) !== i) throw fieldError(`items.${i}`, 'duplicate', `${p.kind}/${p.priority} appears twice`);
    if (p.signUnit === p.replyUnit && p.signAmount >= p.replyAmount) throw fieldError(`items.${i}.signAmount`, 'not_before_reply', 'the sign-for period must be shorter than the reply period');
  });
  const now = deps.clock.now();
  await inTransaction(deps.db, async (em) => {
    for (const p of items) await em.save(SlaPolicy, { ...p, updatedAt: now });
  });
  let recomputedTickets = 0;
  for (const kind of new Set(items.map((p) => p.kind))) recomputedTickets += await recomputeAll(deps, actor, 'SLA policy changed', { kind });
  return { items: await listSlaPolicies(deps), recomputedTickets };
}

/** The routing rules (category → department), by category. */
export async function listRoutingRules(deps: AppDeps): Promise<RoutingRule[]> {
  return deps.db.getRepository(RoutingRule).find({ order: { categoryCode: 'ASC' } });
}

/**
 * Replaces the routing rules (`PUT /routing-rules`, DESIGN §2); they apply to tickets created
 * from now on. One rule per known category, to a known department other than DIS.
 * @throws 422 on `items.i.categoryCode`/`items.i.departmentCode` (`unknown`, `discipline`) or `items` (`duplicate`)
 */
export async function replaceRoutingRules(deps: AppDeps, items: { categoryCode: string; departmentCode: string }[]): Promise<RoutingRule[]> {
  const now = deps.clock.now();
  await inTransaction(deps.db, async (em) => {
    for (const [i, r] of items.entries()) {
      if (!(await em.findOneBy(Category, { code: r.categoryCode }))) throw fieldError(`items.${i}.categoryCode`, 'unknown', `unknown category ${r.categoryCode}`);
      if (!(await em.findOneBy(Department, { code: r.departmentCode }))) throw fieldError(`items.${i}.departmentCode`, 'unknown', `unknown department ${r.departmentCode}`);
      if (r.departmentCode === DISCIPLINE_DEPARTMENT) throw fieldError(`items.${i}.departmentCode`, 'discipline', 'the discipline department receives integrity reports only');
    }
    const cats = items.map((r) => r.categoryCode);
    if (new Set(cats).size !== cats.length) throw new AppError(422, 'validation-failed', 'a category appears twice', [{ field: 'items', code: 'duplicate', message: 'one rule per category' }]);
    await em.createQueryBuilder().delete().from(RoutingRule).execute();
    for (const r of items) await em.insert(RoutingRule, { id: randomUUID(), categoryCode: r.categoryCode, departmentCode: r.departmentCode, updatedAt: now });
  });
  invalidateReferenceData();
  return listRoutingRules(deps);
}
