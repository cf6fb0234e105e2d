/**
 * The department head's overview (issue 10, DESIGN §7): what is open in the department now,
 * what is late, how far escalation has gone, and the department's assessment for the year
 * with the veto as the head may see it. Every count goes through `visibilityScope`, so an
 * integrity report about the department leaves no trace here (DESIGN §1, §7).
 */
import { OversightOrder, Ticket, Department } from '../entities';
import type { AppDeps } from '../deps';
import { OPEN_STATES, type UserActor } from '../domain/lifecycle';
import { forbidden } from '../errors';
import { readLagTolerant } from '../replicas';
import { visibilityScope } from './visibility';
import { dueSoonSql, overdueSql } from './tickets';
import { type Assessment, departmentAssessment } from './assessment';

/** Open tickets at each current escalation level (DESIGN §5): 1 催办, 2 黄牌, 3 红牌. */
export interface EscalationCounts {
  level1: number;
  level2: number;
  level3: number;
}

export interface DepartmentOverview {
  departmentCode: string;
  departmentName: string;
  /** the instant the counts were made (UTC) */
  asOf: Date;
  /** open tickets of the department (dispatched to it and not closed), and of them … */
  open: number;
  /** … past a deadline they owe (sign-for or reply, DESIGN §4) */
  overdue: number;
  /** … on the last working day before one */
  dueSoon: number;
  /** open tickets per state: dispatched (to sign), in_progress, awaiting_info, replied (awaiting the rating) */
  byState: { dispatched: number; in_progress: number; awaiting_info: number; replied: number };
  escalations: EscalationCounts;
  /** oversight orders addressed to the department still unanswered, and how many of them are late */
  openOrders: number;
  overdueOrders: number;
  /** the year's assessment (`departmentAssessment`: figures, veto, eligibility); the presenter redacts the veto for the head */
  assessment: Assessment;
}

/**
 * The overview of the head's own department (a handler with `isHead`), for the business year
 * `year` (default the current one). Lag-tolerant (a replica when there is one).
 * @throws 403 `forbidden` for anyone but a department head
 */
export async function departmentOverview(deps: AppDeps, actor: UserActor, year?: number): Promise<DepartmentOverview> {
  if (actor.role !== 'handler' || !actor.isHead || !actor.departmentCode) throw forbidden("the overview is the department head's");
  const code = actor.departmentCode;
  const now = deps.clock.now();
  const counts = await readLagTolerant(deps, actor, async (em) => {
    const base = () => visibilityScope(em.getRepository(Ticket).createQueryBuilder('t'), actor).andWhere('t.department_code = :code AND t.state IN (:...open)', { code, open: [...OPEN_STATES] });
    const states: { state: string; n: string | number }[] = await base().select('t.state', 'state').addSelect('COUNT(*)', 'n').groupBy('t.state').getRawMany();
    const levels: { level: number; n: string | number }[] = await base()
      .andWhere('t.escalation_level > 0')
      .select('t.escalation_level', 'level')
      .addSelect('COUNT(*)', 'n')
      .groupBy('t.escalation_level')
      .getRawMany();
    const overdue = await base().andWhere(overdueSql(), { now }).getCount();
    const dueSoon = await base().andWhere(dueSoonSql(), { now }).getCount();
    const orders = () =>
      visibilityScope(em.getRepository(OversightOrder).createQueryBuilder('o').innerJoin(Ticket, 't', 't.id = o.ticket_id'), actor).andWhere("o.department_code = :code AND o.state = 'open'", {
        code,
      });
    const openOrders = await orders().getCount();
    const overdueOrders = await orders().andWhere('o.respond_by <= :now', { now }).getCount();
    const name = (await em.findOneBy(Department, { code }))?.nameZh ?? code;
    return { states, levels, overdue, dueSoon, openOrders, overdueOrders, name };
  });
  const byState = { dispatched: 0, in_progress: 0, awaiting_info: 0, replied: 0 };
  let open = 0;
  for (const s of counts.states) {
    open += Number(s.n);
    if (s.state in byState) byState[s.state as keyof typeof byState] = Number(s.n);
  }
  const level = (l: number) => Number(counts.levels.find((x) => Number(x.level) === l)?.n ?? 0);
  return {
    departmentCode: code,
    departmentName: counts.name,
    asOf: now,
    open,
    overdue: counts.overdue,
    dueSoon: counts.dueSoon,
    byState,
    escalations: { level1: level(1), level2: level(2), level3: level(3) },
    openOrders: counts.openOrders,
    overdueOrders: counts.overdueOrders,
    assessment: await departmentAssessment(deps, actor, code, year),
  };
}
