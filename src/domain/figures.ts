/**
 * Maintained report figures (issue 15 item 2; docs/decisions/reporting.md "Maintained
 * figures"): what each ticket contributes to the DESIGN §9 figures, as additive counts in
 * buckets keyed by (department, local date of receipt, accused department), so that a report
 * sums buckets over the period's days instead of reading every ticket of the period.
 *
 * The rules are those of `computeDepartmentFigures` (src/domain/metrics.ts), which stays the
 * oracle: for any tickets, the buckets of their contributions plus the live part below give
 * exactly its figures. What depends on the instant of the report (a deadline missed and still
 * owed, `overdueOpen`) is not in a bucket: the report counts it live over the open tickets
 * ({@link LiveCounts}). Pure: no I/O, no clock.
 */
import type { WorkCalendar } from './calendar';
import { DEFAULT_BUSINESS_TZ, localDate } from './deadline';
import {
  attributeEvents,
  averageOfSum,
  countEvent,
  cycleStart,
  DepartmentFigures,
  FIGURE_COUNTS,
  FigureCounts,
  fraction,
  IntegrityCase,
  isCounted,
  MetricEvent,
  MetricPause,
  MetricTicket,
  missedDeadlines,
  periodDates,
  substantiatedCases,
  zeroCounts,
} from './metrics';

export { FIGURE_COUNTS, type FigureCounts, zeroCounts } from './metrics';

/** One bucket's key: the department, the ticket's local date of receipt, the accused department ('' for every ticket but an integrity report). */
export interface BucketKey {
  departmentCode: string;
  day: string;
  accused: string;
}
export interface Bucket extends BucketKey {
  counts: FigureCounts;
}

const ALL_TIME = { from: new Date(-8.64e15), to: new Date(8.64e15) };

/**
 * What one ticket contributes to the figures now: one bucket per department it counts for
 * (the department responsible now gets `received`; each event goes to the department
 * responsible when it happened, as `computeDepartmentFigures` attributes it).
 * @param t the ticket row
 * @param events its events of `METRIC_EVENT_TYPES` (others are ignored), any order
 * @param pauses its `awaiting_info` intervals
 * @returns buckets in department order; none when the ticket counts nowhere (rejected,
 *   merged, an open integrity report)
 */
export function ticketBuckets(t: MetricTicket, events: readonly MetricEvent[], pauses: readonly MetricPause[], cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): Bucket[] {
  if (!isCounted(t, ALL_TIME)) return [];
  const day = localDate(t.receivedAt, tz);
  const accused = t.kind === 'integrity_report' ? (t.accusedDepartmentCode ?? '') : '';
  const byDept = new Map<string, FigureCounts>();
  const of = (code: string) => {
    const c = byDept.get(code) ?? zeroCounts();
    byDept.set(code, c);
    return c;
  };
  if (t.departmentCode) of(t.departmentCode).received++;

  const mine = events.filter((e) => e.ticketId === t.id);
  const reopenings = new Map<number, Date>();
  for (const e of mine) if (e.type === 'reopened') reopenings.set(e.cycle, e.at);
  for (const e of attributeEvents(mine)) {
    if (!e.departmentCode) continue;
    countEvent(
      of(e.departmentCode),
      e,
      t,
      cycleStart(t, e.cycle, reopenings),
      pauses.filter((p) => p.ticketId === t.id && p.cycle === e.cycle),
      cal,
      tz,
    );
  }
  return [...byDept.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([departmentCode, counts]) => ({ departmentCode, day, accused, counts }));
}

export const bucketId = (k: BucketKey): string => `${k.departmentCode}\u0000${k.day}\u0000${k.accused}`;

/**
 * The change from a ticket's stored contribution to its new one, bucket by bucket: what to
 * add to each bucket (negative counts subtract). Buckets whose change is all zeros are left
 * out; the rest are sorted by (department, day, accused), the order the store updates them
 * in (so that two writers lock bucket rows in the same order).
 */
export function bucketDeltas(before: readonly Bucket[], after: readonly Bucket[]): Bucket[] {
  const negated = before.map((b) => ({ ...b, counts: Object.fromEntries(FIGURE_COUNTS.map((k) => [k, -b.counts[k]])) as FigureCounts }));
  return mergeDeltas([negated, after]);
}

/** Adds the deltas of several tickets into one list (one update per bucket), sorted as {@link bucketDeltas}. */
export function mergeDeltas(lists: readonly (readonly Bucket[])[]): Bucket[] {
  const out = new Map<string, Bucket>();
  for (const list of lists) {
    for (const b of list) {
      const id = bucketId(b);
      const d = out.get(id);
      if (!d) out.set(id, { ...b, counts: { ...b.counts } });
      else for (const k of FIGURE_COUNTS) d.counts[k] += b.counts[k];
    }
  }
  return [...out.values()].filter((b) => FIGURE_COUNTS.some((k) => b.counts[k] !== 0)).sort(compareBuckets);
}

export function compareBuckets(a: BucketKey, b: BucketKey): number {
  const x = bucketId(a);
  const y = bucketId(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The part of the figures that depends on the instant of the report (DESIGN §9, as
 * `computeDepartmentFigures` counts it), per department: open tickets of the period whose
 * sign-for (`signMissed`) or reply (`replyMissed`) deadline has passed, and how many have
 * either (`overdueOpen`).
 */
export interface LiveCounts {
  signMissed: number;
  replyMissed: number;
  overdueOpen: number;
}

/**
 * The live part of one open ticket (what `readLive` counts in SQL): its sign-for or reply
 * deadline has passed by `now` while it is still owed (as `computeDepartmentFigures` decides).
 * @returns null when the ticket adds nothing live
 */
export function liveOf(t: MetricTicket, period: { from: Date; to: Date }, now: Date): (LiveCounts & { departmentCode: string }) | null {
  if (!t.departmentCode || !isCounted(t, period)) return null;
  const { signMissed, replyMissed } = missedDeadlines(t, now);
  if (!signMissed && !replyMissed) return null;
  return { departmentCode: t.departmentCode, signMissed: signMissed ? 1 : 0, replyMissed: replyMissed ? 1 : 0, overdueOpen: 1 };
}

/**
 * The figures of DESIGN §9 from summed buckets and the live part: the same result as
 * `computeDepartmentFigures` over the raw rows (the oracle; the tests hold them equal).
 * @param input.buckets buckets of the period's days, any department (those accusing
 *   `hideAccusedOf` are left out here, if the query did not already)
 * @param input.live the live part per department (`readLive`, or {@link liveOf} per ticket)
 * @returns one entry per code of `departmentCodes`, in that order
 */
export function figuresFromBuckets(input: {
  departmentCodes: readonly string[];
  period: { from: Date; to: Date };
  buckets: readonly Bucket[];
  live: readonly (LiveCounts & { departmentCode: string })[];
  integrityCases: readonly IntegrityCase[];
  vetoed: ReadonlySet<string>;
  hideAccusedOf?: string | null;
  tz?: string;
}): DepartmentFigures[] {
  const tz = input.tz ?? DEFAULT_BUSINESS_TZ;
  const sums = new Map<string, FigureCounts>(input.departmentCodes.map((c) => [c, zeroCounts()]));
  for (const b of input.buckets) {
    if (input.hideAccusedOf && b.accused === input.hideAccusedOf) continue;
    const s = sums.get(b.departmentCode);
    if (s) for (const k of FIGURE_COUNTS) s[k] += b.counts[k];
  }
  const live = new Map<string, LiveCounts>(input.departmentCodes.map((c) => [c, { signMissed: 0, replyMissed: 0, overdueOpen: 0 }]));
  for (const o of input.live) {
    const l = live.get(o.departmentCode);
    if (!l) continue;
    l.signMissed += o.signMissed;
    l.replyMissed += o.replyMissed;
    l.overdueOpen += o.overdueOpen;
  }
  const { firstDay, lastDay } = periodDates(input.period, tz);
  return input.departmentCodes.map((code) => {
    const x = sums.get(code)!;
    const l = live.get(code)!;
    return {
      departmentCode: code,
      from: input.period.from.toISOString(),
      to: input.period.to.toISOString(),
      received: x.received,
      signedOnTime: fraction(x.signedOnTime, x.signOwed + l.signMissed),
      repliedOnTime: fraction(x.repliedOnTime, x.replyOwed + l.replyMissed),
      resolved: fraction(x.resolved, x.replies),
      satisfaction: fraction(x.satisfied, x.rated),
      reopenRate: fraction(x.reopened, x.answers),
      overdueOpen: l.overdueOpen,
      oversightOrders: { level1: x.level1, level2: x.level2, level3: x.level3 },
      averageWorkingDaysToReply: averageOfSum(x.handlingDays, x.answers),
      substantiatedIntegrityCases: substantiatedCases(input.integrityCases, code, firstDay, lastDay),
      vetoed: input.vetoed.has(code),
    };
  });
}
