import { EntityManager } from 'typeorm';
import { WorkCalendar, DayType, LoadedYear } from '../domain/calendar';
import { CalendarDay, CalendarYear } from '../entities';
import { ttlCache, TtlCache } from '../cache';

/** Builds the working calendar from the library plus the stored overrides and loaded years. */
export async function loadCalendar(em: EntityManager): Promise<WorkCalendar> {
  const [days, years] = await Promise.all([em.find(CalendarDay), em.find(CalendarYear)]);
  const overrides = new Map<string, DayType>();
  const loaded = new Map<number, { holidays: string[]; workdays: string[] }>();
  for (const y of years) loaded.set(y.year, { holidays: [], workdays: [] });
  for (const d of days) {
    if (d.source === 'override') overrides.set(d.date, d.type as DayType);
    else {
      const y = loaded.get(Number(d.date.slice(0, 4)));
      if (y) (d.type === 'holiday' ? y.holidays : y.workdays).push(d.date);
    }
  }
  return new WorkCalendar({ overrides, loadedYears: loaded as Map<number, LoadedYear> });
}

/**
 * A per-process cache of the calendar. Changes made here invalidate it at once; changes
 * made by another process are seen within `ttlMs`.
 */
export class CalendarCache {
  private readonly cache: TtlCache<'calendar', WorkCalendar, EntityManager>;
  constructor(ttlMs = 30_000) {
    this.cache = ttlCache(ttlMs, (_k, em) => loadCalendar(em));
  }
  get(em: EntityManager): Promise<WorkCalendar> {
    return this.cache.get('calendar', em);
  }
  invalidate() {
    this.cache.clear();
  }
}
