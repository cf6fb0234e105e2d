/**
 * Department figures for reporting (统计监测, DESIGN §9) and the department assessment
 * (§7), computed from plain rows. Pure: no I/O, no clock ("now" is passed in). The rules of
 * which ticket and which event count for which department are written down in
 * docs/decisions/reporting.md; this file is their one implementation.
 *
 * Units: counts are whole numbers; rates are exact fractions (numerator, denominator) with
 * a percentage rounded half-up to 2 places; durations are working days (DESIGN §4 counting:
 * working days in (local date of start, local date of end]) as decimal strings with 2 places.
 */
import type { WorkCalendar } from './calendar';
import { DEFAULT_BUSINESS_TZ, localDate, workingDaysBetween } from './deadline';
import { RATINGS, type TicketKind, type TicketState } from './lifecycle';

/** A rate as an exact fraction (DESIGN §9); `percent` rounded half-up to 2 places, null when the denominator is 0. */
export interface Fraction {
  numerator: number;
  denominator: number;
  percent: number | null;
}

/** Oversight orders (督办) per escalation level (DESIGN §5): 1 催办, 2 黄牌, 3 红牌. */
export interface OversightCounts {
  level1: number;
  level2: number;
  level3: number;
}

/**
 * One department's figures over the half-open period [from, to) (DESIGN §9), as of the
 * instant the report is made. `from`/`to` are the period's UTC instants (ISO 8601).
 */
export interface DepartmentFigures {
  departmentCode: string;
  /** first instant of the period (UTC, ISO 8601), inclusive */
  from: string;
  /** end of the period (UTC, ISO 8601), exclusive */
  to: string;
  /** tickets received in the period whose responsible department is this one (受理量) */
  received: number;
  /** 按时签收率: sign-fors before the sign-for deadline / sign-fors owed (done, or missed and still undone) */
  signedOnTime: Fraction;
  /** 按时办结率: answers before the reply deadline / answers owed (given, or missed and still not given) */
  repliedOnTime: Fraction;
  /** 解决率: replies with outcome `resolved` / replies (complaints and suggestions) */
  resolved: Fraction;
  /** 满意率: very_satisfied + satisfied + basically_satisfied / ratings given (`none` is not a rating) */
  satisfaction: Fraction;
  /** 重办率: reopenings (new cycles after a bad rating or by the coordinator) / answers */
  reopenRate: Fraction;
  /** tickets received in the period, still open here, whose sign-for or reply deadline has passed */
  overdueOpen: number;
  oversightOrders: OversightCounts;
  /** working days from the start of the cycle's reply clock to the answer, pauses excluded; decimal string with 2 places, null when nothing was answered */
  averageWorkingDaysToReply: string | null;
  /** integrity reports accusing this department, concluded substantiated, that happened in the period (a number only, §7) */
  substantiatedIntegrityCases: number;
  /** a one-vote veto (一票否决) stands on this department for a year the period touches (§7) */
  vetoed: boolean;
}

/**
 * An exact fraction with its percentage.
 * @param numerator whole number ≥ 0
 * @param denominator whole number ≥ numerator
 * @returns `{ numerator, denominator, percent }`, percent rounded half-up to 2 places, null for 0/0
 * @throws RangeError for negative or non-integer inputs, or numerator > denominator
 */
export function fraction(numerator: number, denominator: number): Fraction {
  if (!Number.isSafeInteger(numerator) || !Number.isSafeInteger(denominator) || numerator < 0 || denominator < 0) {
    throw new RangeError(`a fraction needs whole numbers ≥ 0, got ${numerator}/${denominator}`);
  }
  if (numerator > denominator) throw new RangeError(`numerator ${numerator} exceeds denominator ${denominator}`);
  if (denominator === 0) return { numerator, denominator, percent: null };
  // hundredths of a percent, rounded half-up in integers so that 2/3 is 66.67 and 1/8 is 12.5
  const hundredths = Math.floor((numerator * 20000 + denominator) / (2 * denominator));
  return { numerator, denominator, percent: hundredths / 100 };
}

/**
 * The mean of `n` whole numbers whose sum is `sum`, as a decimal string rounded half-up
 * (the figures keep only sums of working days, never the list).
 * @param sum whole number ≥ 0
 * @param n how many numbers, whole ≥ 0
 * @param places decimal places, 0–6 (default 2)
 * @returns e.g. (3, 2) → "1.50"; null when n is 0
 * @throws RangeError for negative or non-integer inputs
 */
export function averageOfSum(sum: number, n: number, places = 2): string | null {
  if (!Number.isInteger(places) || places < 0 || places > 6) throw new RangeError(`places must be 0–6, got ${places}`);
  if (!Number.isSafeInteger(sum) || sum < 0 || !Number.isSafeInteger(n) || n < 0) throw new RangeError(`sum and count must be whole numbers ≥ 0, got ${sum}/${n}`);
  if (n === 0) return null;
  const scale = 10 ** places;
  const scaled = Math.floor((sum * scale * 2 + n) / (2 * n));
  const whole = Math.floor(scaled / scale);
  if (places === 0) return String(whole);
  return `${whole}.${String(scaled % scale).padStart(places, '0')}`;
}

/** The facts of a ticket the figures look at (a plain `ticket` row). Instants are UTC. */
export interface MetricTicket {
  id: string;
  kind: TicketKind;
  state: TicketState;
  /** the department responsible now (null while waiting for the coordinator) */
  departmentCode: string | null;
  accusedDepartmentCode: string | null;
  receivedAt: Date;
  cycle: number;
  cycleStartedAt: Date;
  signBy: Date | null;
  replyBy: Date | null;
}

/** A timeline event (a plain `ticket_event` row); only the types below are looked at. */
export interface MetricEvent {
  ticketId: string;
  seq: number;
  cycle: number;
  type: string;
  at: Date;
  payload: Record<string, unknown>;
}

/** An `awaiting_info` interval (a plain `ticket_pause` row); `resumedAt` null while still paused. */
export interface MetricPause {
  ticketId: string;
  cycle: number;
  pausedAt: Date;
  resumedAt: Date | null;
}

/** An integrity report's latest finding, for the accused department's count (§7). */
export interface IntegrityCase {
  ticketId: string;
  accusedDepartmentCode: string;
  /** local date the demand happened, 'YYYY-MM-DD' */
  occurredOn: string;
  finding: string;
}

/** Event types the figures read: who is responsible (dispatched, returned) and what was done. */
export const METRIC_EVENT_TYPES = ['dispatched', 'returned', 'signed', 'replied', 'decided', 'concluded', 'rated', 'reopened', 'escalated'] as const;

/** The answer to the submitter, by kind: a reply (complaint, suggestion), a decision (objection), a conclusion (integrity report). */
/** The top three of the five 好差评 levels; the two bad ratings are 差评 (DESIGN §3, §9). */
const SATISFIED: readonly string[] = RATINGS.slice(0, 3);
/** Tickets the department never handled as such: not admissible (不予受理) or a duplicate (并单; counted on the primary). */
const NOT_COUNTED_STATES: readonly TicketState[] = ['rejected', 'merged'];

/** An event with the department responsible for the ticket when it happened. */
export interface AttributedEvent extends MetricEvent {
  departmentCode: string | null;
}

/**
 * Tags each event with the department responsible for its ticket at that moment: the
 * department of the latest `dispatched` event before it (a `returned` event still belongs
 * to the returning department; after it, nobody until the next dispatch). Reopening keeps
 * the department. So a department answers for what happened while the ticket was its own.
 * @param events any order; grouped by ticket and ordered by `seq` here
 * @returns the events ordered by (ticketId, seq), each with `departmentCode`
 */
export function attributeEvents(events: readonly MetricEvent[]): AttributedEvent[] {
  const sorted = [...events].sort((a, b) => (a.ticketId < b.ticketId ? -1 : a.ticketId > b.ticketId ? 1 : a.seq - b.seq));
  const out: AttributedEvent[] = [];
  let ticket: string | null = null;
  let dept: string | null = null;
  for (const e of sorted) {
    if (e.ticketId !== ticket) {
      ticket = e.ticketId;
      dept = null;
    }
    if (e.type === 'dispatched') {
      const code = e.payload.departmentCode;
      dept = typeof code === 'string' ? code : null;
    }
    out.push({ ...e, departmentCode: dept });
    if (e.type === 'returned') dept = null;
  }
  return out;
}

/**
 * Whether a ticket counts in departments' figures at all (docs/decisions/reporting.md):
 * received in [from, to); not rejected or merged; an integrity report only once concluded
 * (`replied` or `closed`: open integrity reports are never counted, DESIGN §9); and never a
 * report accusing `hideAccusedOf`, the viewer's own department (DESIGN §1, §7: users of the
 * accused department never see it, in counts neither).
 */
export function isCounted(t: MetricTicket, period: { from: Date; to: Date }, hideAccusedOf: string | null = null): boolean {
  const at = t.receivedAt.getTime();
  if (at < period.from.getTime() || at >= period.to.getTime()) return false;
  if (NOT_COUNTED_STATES.includes(t.state)) return false;
  if (t.kind === 'integrity_report') {
    if (t.state !== 'replied' && t.state !== 'closed') return false;
    if (hideAccusedOf && t.accusedDepartmentCode === hideAccusedOf) return false;
  }
  return true;
}

/** Inputs of {@link computeDepartmentFigures}. */
export interface FiguresInput {
  /** departments to report on, in output order */
  departmentCodes: readonly string[];
  /** the period, UTC instants, [from, to) */
  period: { from: Date; to: Date };
  /** the instant the report is made: deadlines passed by then count as missed */
  now: Date;
  /** tickets received in the period (others are ignored); any department */
  tickets: readonly MetricTicket[];
  /** events of those tickets, of the {@link METRIC_EVENT_TYPES} (others are ignored) */
  events: readonly MetricEvent[];
  /** pauses of those tickets */
  pauses: readonly MetricPause[];
  /** integrity reports with their latest finding (any period; filtered by occurrence date here) */
  integrityCases: readonly IntegrityCase[];
  /** departments with a standing veto (veto register, DESIGN §7) for a year the period touches */
  vetoed: ReadonlySet<string>;
  /** the viewer's department: integrity reports accusing it are left out (see {@link isCounted}) */
  hideAccusedOf?: string | null;
  cal: WorkCalendar;
  /** business time zone, default Asia/Shanghai */
  tz?: string;
}

/** The local dates a period covers: its first day and its last day (the day before `to`). */
export function periodDates(period: { from: Date; to: Date }, tz: string = DEFAULT_BUSINESS_TZ): { firstDay: string; lastDay: string } {
  return { firstDay: localDate(period.from, tz), lastDay: localDate(new Date(period.to.getTime() - 1), tz) };
}

/**
 * Substantiated integrity cases against a department that happened in the period (DESIGN §7:
 * the veto is tied to the year of the occurrence, so the count is too).
 * @returns number of cases whose latest finding is `substantiated`
 */
export function substantiatedCases(cases: readonly IntegrityCase[], departmentCode: string, firstDay: string, lastDay: string): number {
  return cases.filter((c) => c.accusedDepartmentCode === departmentCode && c.finding === 'substantiated' && c.occurredOn >= firstDay && c.occurredOn <= lastDay).length;
}

/** The additive counts behind the figures (and the columns of a maintained bucket, src/domain/figures.ts). */
export const FIGURE_COUNTS = [
  'received',
  'signedOnTime',
  'signOwed',
  'repliedOnTime',
  'replyOwed',
  'resolved',
  'replies',
  'satisfied',
  'rated',
  'reopened',
  'answers',
  'level1',
  'level2',
  'level3',
  'handlingDays',
] as const;
export type FigureCount = (typeof FIGURE_COUNTS)[number];
/** Whole numbers ≥ 0 (`handlingDays`: the sum of working days to each answer; their mean is handlingDays / answers). */
export type FigureCounts = Record<FigureCount, number>;

export const zeroCounts = (): FigureCounts => Object.fromEntries(FIGURE_COUNTS.map((k) => [k, 0])) as FigureCounts;

/**
 * A counted ticket's deadlines missed by `now` and still owed (a sign-for while `dispatched`,
 * an answer while `dispatched`/`in_progress`): counted as late now, so that not acting never
 * looks better than acting late; either makes the ticket `overdueOpen`.
 */
export function missedDeadlines(t: Pick<MetricTicket, 'state' | 'signBy' | 'replyBy'>, now: Date): { signMissed: boolean; replyMissed: boolean } {
  return {
    signMissed: t.state === 'dispatched' && !!t.signBy && t.signBy.getTime() <= now.getTime(),
    replyMissed: (t.state === 'dispatched' || t.state === 'in_progress') && !!t.replyBy && t.replyBy.getTime() <= now.getTime(),
  };
}

/**
 * Adds one event to the counts of the department it is attributed to (rules:
 * docs/decisions/reporting.md "The figures"): a sign-for; an answer (`replied`, `decided`,
 * `concluded`) with its timeliness, outcome and working days; a rating of the five levels;
 * a reopening; an oversight order by level. Other types change nothing.
 * @param start the reply-clock start of the event's cycle (receipt, or the reopening)
 * @param pauses the `awaiting_info` intervals of the event's cycle
 */
export function countEvent(c: FigureCounts, e: MetricEvent, t: MetricTicket, start: Date, pauses: readonly MetricPause[], cal: WorkCalendar, tz: string): void {
  switch (e.type) {
    case 'signed':
      c.signOwed++;
      if (e.payload.onTime === true) c.signedOnTime++;
      break;
    case 'replied':
    case 'decided':
    case 'concluded': {
      c.answers++;
      const onTime = answerOnTime(e, t);
      if (onTime !== null) {
        c.replyOwed++;
        if (onTime) c.repliedOnTime++;
      }
      if (e.type === 'replied') {
        c.replies++;
        if (e.payload.outcome === 'resolved') c.resolved++;
      }
      c.handlingDays += handlingWorkingDays(start, e.at, pauses, cal, tz);
      break;
    }
    case 'rated': {
      const r = e.payload.rating;
      if (typeof r === 'string' && (RATINGS as readonly string[]).includes(r)) {
        c.rated++;
        if (SATISFIED.includes(r)) c.satisfied++;
      }
      break;
    }
    case 'reopened':
      c.reopened++;
      break;
    case 'escalated': {
      const level = Number(e.payload.level);
      if (level === 1 || level === 2 || level === 3) c[`level${level}`]++;
      break;
    }
    default:
      break;
  }
}

/**
 * The reply-clock start of a ticket's cycle: its receipt for the first cycle, else the
 * cycle's `reopened` event, else (the current cycle) `cycleStartedAt`.
 * @param reopenings the instants of the ticket's `reopened` events by cycle
 */
export function cycleStart(t: MetricTicket, cycle: number, reopenings: ReadonlyMap<number, Date>): Date {
  return cycle <= 1 ? t.receivedAt : (reopenings.get(cycle) ?? (cycle === t.cycle ? t.cycleStartedAt : t.receivedAt));
}

/**
 * Computes the figures of DESIGN §9 for each department (rules: docs/decisions/reporting.md).
 *
 * Population: the tickets of {@link isCounted}. `received` and `overdueOpen` go to the
 * department responsible now; everything done on a ticket (sign-for, answer, rating,
 * reopening, oversight order) goes to the department responsible when it happened
 * ({@link attributeEvents}), so a department that signed late and then returned the ticket
 * keeps its late sign-for. A deadline already missed and still not met counts as missed.
 * @returns one {@link DepartmentFigures} per code of `departmentCodes`, in that order
 * @throws RangeError from the clock for an invalid instant or zone
 */
export function computeDepartmentFigures(input: FiguresInput): DepartmentFigures[] {
  const tz = input.tz ?? DEFAULT_BUSINESS_TZ;
  const { period, now, cal } = input;
  const tallies = new Map(input.departmentCodes.map((c) => [c, { ...zeroCounts(), overdueOpen: 0 }]));
  const counted = new Map<string, MetricTicket>();
  for (const t of input.tickets) if (isCounted(t, period, input.hideAccusedOf ?? null)) counted.set(t.id, t);

  for (const t of counted.values()) {
    const tally = t.departmentCode ? tallies.get(t.departmentCode) : undefined;
    if (!tally) continue;
    tally.received++;
    const { signMissed, replyMissed } = missedDeadlines(t, now);
    if (signMissed) tally.signOwed++;
    if (replyMissed) tally.replyOwed++;
    if (signMissed || replyMissed) tally.overdueOpen++;
  }

  const pausesByCycle = new Map<string, MetricPause[]>();
  for (const p of input.pauses) {
    if (!counted.has(p.ticketId)) continue;
    const key = `${p.ticketId}#${p.cycle}`;
    const list = pausesByCycle.get(key) ?? [];
    list.push(p);
    pausesByCycle.set(key, list);
  }
  const reopenings = new Map<string, Map<number, Date>>();
  for (const e of input.events) {
    if (e.type !== 'reopened' || !counted.has(e.ticketId)) continue;
    const m = reopenings.get(e.ticketId) ?? new Map<number, Date>();
    m.set(e.cycle, e.at);
    reopenings.set(e.ticketId, m);
  }

  for (const e of attributeEvents(input.events.filter((x) => counted.has(x.ticketId)))) {
    const tally = e.departmentCode ? tallies.get(e.departmentCode) : undefined;
    if (!tally) continue;
    const t = counted.get(e.ticketId)!;
    countEvent(tally, e, t, cycleStart(t, e.cycle, reopenings.get(t.id) ?? new Map()), pausesByCycle.get(`${t.id}#${e.cycle}`) ?? [], cal, tz);
  }

  const { firstDay, lastDay } = periodDates(period, tz);
  return input.departmentCodes.map((code) => {
    const x = tallies.get(code)!;
    return {
      departmentCode: code,
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      received: x.received,
      signedOnTime: fraction(x.signedOnTime, x.signOwed),
      repliedOnTime: fraction(x.repliedOnTime, x.replyOwed),
      resolved: fraction(x.resolved, x.replies),
      satisfaction: fraction(x.satisfied, x.rated),
      reopenRate: fraction(x.reopened, x.answers),
      overdueOpen: x.overdueOpen,
      oversightOrders: { level1: x.level1, level2: x.level2, level3: x.level3 },
      averageWorkingDaysToReply: averageOfSum(x.handlingDays, x.answers),
      substantiatedIntegrityCases: substantiatedCases(input.integrityCases, code, firstDay, lastDay),
      vetoed: input.vetoed.has(code),
    };
  });
}

/**
 * Whether an answer met its reply deadline: the `onTime` the event recorded; failing that,
 * for the ticket's current cycle, the answer instant against the kept `replyBy` (a stopped
 * clock keeps its last value); null when it cannot be known (then it is left out of the rate).
 */
export function answerOnTime(e: Pick<MetricEvent, 'payload' | 'cycle' | 'at'>, t: Pick<MetricTicket, 'cycle' | 'replyBy'>): boolean | null {
  if (typeof e.payload.onTime === 'boolean') return e.payload.onTime;
  if (e.cycle === t.cycle && t.replyBy) return e.at.getTime() < t.replyBy.getTime();
  return null;
}

/**
 * Working days a department took to answer: working days in (start date, answer date]
 * minus the working days of each pause in the cycle (the same rule the deadline clock uses,
 * DESIGN §4 "Pauses"), never below 0.
 * @param start the cycle's reply-clock start (receipt, or the reopening), UTC
 * @param answeredAt the answer instant, UTC
 * @param pauses the cycle's `awaiting_info` intervals; an open one counts until `answeredAt`
 * @returns whole working days
 */
export function handlingWorkingDays(start: Date, answeredAt: Date, pauses: readonly Pick<MetricPause, 'pausedAt' | 'resumedAt'>[], cal: WorkCalendar, tz: string = DEFAULT_BUSINESS_TZ): number {
  if (answeredAt.getTime() < start.getTime()) return 0;
  let days = workingDaysBetween(start, answeredAt, cal, tz);
  for (const p of pauses) {
    const from = p.pausedAt.getTime() < start.getTime() ? start : p.pausedAt;
    const end = p.resumedAt && p.resumedAt.getTime() < answeredAt.getTime() ? p.resumedAt : answeredAt;
    if (end.getTime() > from.getTime()) days -= workingDaysBetween(from, end, cal, tz);
  }
  return Math.max(0, days);
}
