/**
 * The day's work at a glance on the admin's and the supervisors' homes (`GET /work`, issue 10):
 * counts that each link to the page where the work is done. Every count is made as the page it
 * links to lists: tickets through `visibilityScope` (an integrity report the viewer may not see
 * — one accusing the viewer's department, one held for the higher commission — is in no
 * count), outbox rows without those about a report accusing the viewer's department
 * (`hiddenFromAccusedSql`, as `listOutbox`).
 */
import { MoreThanOrEqual } from 'typeorm';
import { AccountEvent, OutboxMessage, Ticket, User } from '../entities';
import type { AppDeps } from '../deps';
import type { UserActor } from '../domain/lifecycle';
import { forbidden } from '../errors';
import { localDate } from '../domain/deadline';
import { readLagTolerant } from '../replicas';
import { countTickets } from './tickets';
import { hiddenFromAccusedSql } from './visibility';
import { vetoRegister } from './vetoes';
import { listDepartments } from './reference';
import { countOrders } from '../commands/oversight';

/** How far back "deactivated recently" looks. */
export const RECENT_DEACTIVATION_DAYS = 30;

export interface AdminHome {
  asOf: Date;
  /** outbox rows that failed for good (retry on the outbox page) */
  outboxFailed: number;
  /** integrity reports accusing DIS held for the higher commission (forward on the outbox page) */
  heldReports: number;
  /** of this business year and the next, those whose official schedule is not loaded (only weekends known) */
  provisionalYears: number[];
  /** accounts deactivated in the last `RECENT_DEACTIVATION_DAYS` days and still deactivated */
  deactivatedRecently: number;
}

/** The admin's home. @throws 403 for anyone but the admin */
export async function adminHome(deps: AppDeps, actor: UserActor): Promise<AdminHome> {
  if (actor.role !== 'admin') throw forbidden("the admin's home");
  const now = deps.clock.now();
  const year = Number(localDate(now, deps.config.businessTz).slice(0, 4));
  return readLagTolerant(deps, actor, async (em) => {
    const outbox = (state: string) =>
      em
        .getRepository(OutboxMessage)
        .createQueryBuilder('o')
        .leftJoin(Ticket, 't', 't.id = o.ticket_id')
        .where('o.state = :state', { state })
        .andWhere(`(t.id IS NULL OR NOT ${hiddenFromAccusedSql('t')})`, { vOwnDept: actor.departmentCode ?? '' })
        .getCount();
    const cal = await deps.calendar.get(em);
    const since = new Date(now.getTime() - RECENT_DEACTIVATION_DAYS * 86_400_000);
    const deactivated = await em.getRepository(AccountEvent).find({ where: { type: 'deactivated', at: MoreThanOrEqual(since) }, select: { userId: true } });
    const ids = [...new Set(deactivated.map((e) => e.userId))];
    const still = ids.length ? await em.getRepository(User).createQueryBuilder('u').where('u.id IN (:...ids) AND u.active = :no', { ids, no: false }).getCount() : 0;
    return {
      asOf: now,
      outboxFailed: await outbox('failed'),
      heldReports: await outbox('held'),
      provisionalYears: [year, year + 1].filter((y) => !cal.yearSchedule(y).official),
      deactivatedRecently: still,
    };
  });
}

export interface SupervisorHome {
  asOf: Date;
  /** integrity reports dispatched to DIS, waiting to be signed for */
  toSign: number;
  /** … being looked into (signed), and of them waiting for the reporter's information */
  inProgress: number;
  awaitingInfo: number;
  /** open reports past a deadline they owe (sign-for or reply) */
  overdue: number;
  /**
   * reports escalated to the supervisors (督办, level 3) and not yet concluded: an integrity
   * report escalates straight to the supervisors and opens no oversight order
   * (docs/decisions/clock-and-escalation.md), so the orders' list never shows it — as
   * `/work/integrity?escalated=1` lists them
   */
  escalatedReports: number;
  /** open red-card (level 3) oversight orders of the departments, raised to the supervisors (DESIGN §5) — as `/work/oversight?level=3` lists them */
  redCards: number;
  /** the standing vetoes (every year), newest year first, with the departments' names */
  standingVetoes: { id: string; year: number; departmentCode: string; name: string; activeCauses: number }[];
}

/** The supervisor's home. @throws 403 for anyone but a supervisor */
export async function supervisorHome(deps: AppDeps, actor: UserActor): Promise<SupervisorHome> {
  if (actor.role !== 'supervisor') throw forbidden("the supervisors' home");
  const now = deps.clock.now();
  const counts = await readLagTolerant(deps, actor, async (em) => {
    const n = (c: Parameters<typeof countTickets>[2]) => countTickets(em, actor, { kind: 'integrity_report', ...c }, now);
    return {
      toSign: await n({ state: 'dispatched' }),
      inProgress: await n({ state: 'in_progress' }),
      awaitingInfo: await n({ state: 'awaiting_info' }),
      overdue: await n({ overdue: true }),
      escalatedReports: await n({ escalationLevel: 3, unanswered: true }),
      redCards: await countOrders(em, actor, { state: 'open', level: 3 }, now),
    };
  });
  const names = new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh]));
  const vetoes = (await vetoRegister(deps, actor)).filter((v) => v.status === 'active').sort((a, b) => b.year - a.year || a.departmentCode.localeCompare(b.departmentCode));
  return {
    asOf: now,
    ...counts,
    standingVetoes: vetoes.map((v) => ({ id: v.id, year: v.year, departmentCode: v.departmentCode, name: names.get(v.departmentCode) ?? v.departmentCode, activeCauses: v.activeCauses })),
  };
}
