/**
 * The admin's calendar as a year view (issue 10): twelve month grids, weeks from Monday, each
 * day marked as a working day, a rest day (weekend), a holiday (a weekday off) or an adjusted
 * working day (a weekend day worked, 调休上班), and whether the admin overrode it. Pure: built
 * from `calendarYear`'s lists, which say the same as the working calendar.
 */
export type DayKind = 'work' | 'rest' | 'holiday' | 'adjusted';
export interface DayCell {
  date: string;
  day: number;
  kind: DayKind;
  override: boolean;
  note: string | null;
  label: string;
}
export interface MonthGrid {
  month: number;
  title: string;
  weeks: (DayCell | null)[][];
  holidays: number;
  adjusted: number;
}

const KIND_TEXT: Record<DayKind, string> = { work: '工作日', rest: '休息日', holiday: '节假日', adjusted: '调休上班' };
const pad = (n: number) => String(n).padStart(2, '0');

/** The year as twelve month grids (`overrides` marked; their type is already in the lists). */
export function yearGrid(year: number, holidays: readonly string[], workdays: readonly string[], overrides: readonly { date: string; type: string; note: string | null }[]): MonthGrid[] {
  const off = new Set(holidays);
  const on = new Set(workdays);
  const over = new Map(overrides.map((o) => [o.date, o]));
  const months: MonthGrid[] = [];
  for (let m = 1; m <= 12; m++) {
    const days = new Date(Date.UTC(year, m, 0)).getUTCDate();
    const lead = (new Date(Date.UTC(year, m - 1, 1)).getUTCDay() + 6) % 7; // Monday first
    const cells: (DayCell | null)[] = Array.from({ length: lead }, () => null);
    let h = 0;
    let a = 0;
    for (let d = 1; d <= days; d++) {
      const date = `${year}-${pad(m)}-${pad(d)}`;
      const weekend = (lead + d - 1) % 7 >= 5;
      const kind: DayKind = weekend ? (on.has(date) ? 'adjusted' : 'rest') : off.has(date) ? 'holiday' : 'work';
      if (kind === 'holiday') h++;
      if (kind === 'adjusted') a++;
      const o = over.get(date);
      cells.push({ date, day: d, kind, override: !!o, note: o?.note ?? null, label: `${m}月${d}日 ${KIND_TEXT[kind]}${o ? '（已手动调整）' : ''}${o?.note ? `：${o.note}` : ''}` });
    }
    while (cells.length % 7) cells.push(null);
    const weeks: (DayCell | null)[][] = [];
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
    months.push({ month: m, title: `${m}月`, weeks, holidays: h, adjusted: a });
  }
  return months;
}
