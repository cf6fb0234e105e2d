import type { SelectQueryBuilder } from 'typeorm';
import { Actor, DISCIPLINE_DEPARTMENT } from '../domain/lifecycle';

/**
 * Restricts a ticket query to what the actor may see: the SQL mirror of `canView`
 * (DESIGN §1, §7), so that lists, counts and searches never include what a detail read would
 * answer 404. `test/queries/visibility.test.ts` checks the two agree on every role × ticket.
 * @param alias the ticket table's alias in `qb`
 */
export function visibilityScope<T extends object>(qb: SelectQueryBuilder<T>, a: Actor, alias = 't'): SelectQueryBuilder<T> {
  if (a.kind === 'system') return qb;
  if (a.kind === 'access_code') return qb.andWhere(`${alias}.id = :vTicket`, { vTicket: a.ticketId });
  if (a.kind !== 'user') return qb.andWhere('1 = 0');
  const integrity = `${alias}.kind = 'integrity_report'`;
  // A report accusing DIS goes to the higher commission (nobody here sees it); one accusing the viewer's department is hidden from it.
  const hiddenIntegrity = `(${integrity} AND (${alias}.accused_department_code = :vDis OR ${alias}.accused_department_code = :vOwnDept))`;

  const params = { vDis: DISCIPLINE_DEPARTMENT, vOwnDept: a.departmentCode ?? '', vUid: a.userId };
  switch (a.role) {
    case 'owner':
      return qb.andWhere(`${alias}.submitter_id = :vUid`, params);
    case 'handler':
      return qb.andWhere(`${alias}.department_code = :vOwnDept AND NOT ${hiddenIntegrity}`, params);
    case 'intake':
      return qb.andWhere(`NOT (${integrity})`);
    default:
      return qb.andWhere(`NOT ${hiddenIntegrity}`, params);
  }
}

/**
 * SQL for the one rule above every role (DESIGN §1, §7): the ticket is an integrity report
 * accusing the viewer's department (`:vOwnDept`, '' for none). For views that show more than
 * tickets (the outbox) and must still leave those reports out.
 */
export function hiddenFromAccusedSql(alias = 't'): string {
  return `(${alias}.kind = 'integrity_report' AND ${alias}.accused_department_code = :vOwnDept)`;
}
