import type { EntityManager } from 'typeorm';
import type { WorkCalendar } from '../domain/calendar';
import { Ticket, TicketEvent, TicketPause } from '../entities';
import { standingVetoes } from './vetoes';
import { readBuckets, readLive } from './figures';
import { figuresFromBuckets } from '../domain/figures';
import { localDate, startOfLocalDay } from '../domain/deadline';
import { computeDepartmentFigures, DepartmentFigures, IntegrityCase, METRIC_EVENT_TYPES, MetricEvent, MetricPause, MetricTicket, periodDates } from '../domain/metrics';

export type { Fraction, DepartmentFigures, OversightCounts } from '../domain/metrics';

/** Options of the report queries. */
export interface FiguresOptions {
  /**
   * The viewer's department: integrity reports accusing it are left out of every figure
   * (DESIGN §1, §7: users of the accused department never see such a report, in counts
   * neither). The accused department's own count of substantiated cases stays (§7).
   */
  hideAccusedOf?: string | null;
  /** false: read the raw rows even for whole days (the buckets are behind: `catchUpFigures`) */
  maintained?: boolean;
}

/** Whether a period starts and ends at local midnights (then the maintained buckets answer it). */
export function wholeLocalDays(range: { from: Date; to: Date }, tz: string): boolean {
  const aligned = (d: Date) => startOfLocalDay(localDate(d, tz), tz).getTime() === d.getTime();
  return aligned(range.from) && aligned(range.to) && range.to.getTime() > range.from.getTime();
}

/**
 * Figures of several departments over one period (DESIGN §9). Which ticket and which event
 * count for which department: docs/decisions/reporting.md and `computeDepartmentFigures`
 * (src/domain/metrics.ts). A period of whole local days is read from the maintained buckets
 * (src/commands/figures.ts: as fresh as the last refresh — the report queries catch up
 * first) plus the live part over open tickets; any other period from the raw rows.
 * @param em any entity manager (reads only)
 * @param departmentCodes departments to report on, in output order
 * @param range the period as UTC instants, [from, to)
 * @param cal the working-day calendar (average working days to reply)
 * @param tz business time zone (dates of occurrence, working days)
 * @param now the instant the report is made: deadlines passed by then count as missed
 * @returns one entry per department code, in the given order
 */
export async function departmentsFigures(
  em: EntityManager,
  departmentCodes: readonly string[],
  range: { from: Date; to: Date },
  cal: WorkCalendar,
  tz: string,
  now: Date,
  opts: FiguresOptions = {},
): Promise<DepartmentFigures[]> {
  if (departmentCodes.length === 0) return [];
  if (opts.maintained === false || !wholeLocalDays(range, tz)) return rawDepartmentsFigures(em, departmentCodes, range, cal, tz, now, opts);
  const { firstDay, lastDay } = periodDates(range, tz);
  const hide = opts.hideAccusedOf ?? null;
  const [buckets, live, integrityCases, vetoed] = await Promise.all([
    readBuckets(em, departmentCodes, firstDay, lastDay, hide),
    readLive(em, departmentCodes, range, now),
    integrityFindings(em, departmentCodes, firstDay, lastDay),
    standingVetoes(em, departmentCodes, Number(firstDay.slice(0, 4)), Number(lastDay.slice(0, 4))),
  ]);
  return figuresFromBuckets({ departmentCodes, period: range, buckets, live, integrityCases, vetoed, hideAccusedOf: hide, tz });
}

/**
 * The same figures computed from the raw rows of every ticket received in the period (the
 * test oracle of the maintained figures, and the path for periods that are not whole days).
 * Its cost grows with the tickets of the period.
 */
export async function rawDepartmentsFigures(
  em: EntityManager,
  departmentCodes: readonly string[],
  range: { from: Date; to: Date },
  cal: WorkCalendar,
  tz: string,
  now: Date,
  opts: FiguresOptions = {},
): Promise<DepartmentFigures[]> {
  if (departmentCodes.length === 0) return [];
  const inPeriod = 't.received_at >= :from AND t.received_at < :to';
  const params = { from: range.from, to: range.to };

  const tickets = await em
    .createQueryBuilder(Ticket, 't')
    .select(['t.id', 't.kind', 't.state', 't.departmentCode', 't.accusedDepartmentCode', 't.receivedAt', 't.cycle', 't.cycleStartedAt', 't.signBy', 't.replyBy'])
    .where(inPeriod, params)
    .getMany();
  const events =
    tickets.length === 0
      ? []
      : await em
          .createQueryBuilder(TicketEvent, 'e')
          .innerJoin(Ticket, 't', 't.id = e.ticket_id')
          .select(['e.id', 'e.ticketId', 'e.seq', 'e.cycle', 'e.type', 'e.at', 'e.payload'])
          .where(inPeriod, params)
          .andWhere('e.type IN (:...types)', { types: [...METRIC_EVENT_TYPES] })
          .getMany();
  const pauses =
    tickets.length === 0
      ? []
      : await em
          .createQueryBuilder(TicketPause, 'p')
          .innerJoin(Ticket, 't', 't.id = p.ticket_id')
          .select(['p.id', 'p.ticketId', 'p.cycle', 'p.pausedAt', 'p.resumedAt'])
          .where(inPeriod, params)
          .getMany();

  const { firstDay, lastDay } = periodDates(range, tz);
  const integrityCases = await integrityFindings(em, departmentCodes, firstDay, lastDay);
  const vetoed = await standingVetoes(em, departmentCodes, Number(firstDay.slice(0, 4)), Number(lastDay.slice(0, 4)));

  return computeDepartmentFigures({
    departmentCodes,
    period: range,
    now,
    cal,
    tz,
    vetoed,
    integrityCases,
    hideAccusedOf: opts.hideAccusedOf ?? null,
    tickets: tickets as MetricTicket[],
    events: events as MetricEvent[],
    pauses: pauses as MetricPause[],
  });
}

/**
 * Integrity reports accusing one of the departments, concluded, that happened between two
 * local dates (inclusive), with their latest finding (`ticket.finding`, set by `conclude`,
 * DESIGN §7). Reads no content of the reports: only department, date and finding.
 */
async function integrityFindings(em: EntityManager, departmentCodes: readonly string[], firstDay: string, lastDay: string): Promise<IntegrityCase[]> {
  const rows: { id: string; accused: string; occurred: string; finding: string }[] = await em
    .createQueryBuilder()
    .from(Ticket, 't')
    .select(['t.id AS id', 't.accused_department_code AS accused', 't.occurred_on AS occurred', 't.finding AS finding'])
    .where("t.kind = 'integrity_report' AND t.finding IS NOT NULL")
    .andWhere('t.accused_department_code IN (:...codes)', { codes: [...departmentCodes] })
    .andWhere('t.occurred_on >= :firstDay AND t.occurred_on <= :lastDay', { firstDay, lastDay })
    .getRawMany();
  return rows.map((r) => ({ ticketId: r.id, accusedDepartmentCode: r.accused, occurredOn: r.occurred, finding: r.finding }));
}

/**
 * Computes one department's figures over [from, to) (DESIGN §9); see `departmentsFigures`.
 * Open integrity reports never count in a department's own figures; reports accusing the
 * department count against it only as the number of substantiated cases (§7).
 * @param departmentCode e.g. 'TAX' (not checked to exist: an unknown code gets zeros)
 * @param range UTC instants, [from, to)
 * @param now the instant the report is made
 */
export async function departmentFigures(
  em: EntityManager,
  departmentCode: string,
  range: { from: Date; to: Date },
  cal: WorkCalendar,
  tz: string,
  now: Date,
  opts: FiguresOptions = {},
): Promise<DepartmentFigures> {
  const [figures] = await departmentsFigures(em, [departmentCode], range, cal, tz, now, opts);
  return figures;
}
