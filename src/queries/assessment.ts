import { Department } from '../entities';
import type { AppDeps } from '../deps';
import { readLagTolerant } from '../replicas';
import { catchUpFigures } from '../commands/figures';
import type { UserActor } from '../domain/lifecycle';
import { assessmentVerdict } from '../domain/veto';
import { localDate, startOfLocalDay } from '../domain/deadline';
import { AppError, forbidden, notFound } from '../errors';
import { departmentFigures } from '../commands/reports';
import { loadVetoes, substantiatedCases, VetoRecord } from '../commands/vetoes';

/** Who reads a department's assessment (DESIGN §7, §13): the coordinator, supervisors, the admin, and that department's own head. */
export function canReadAssessment(actor: UserActor, departmentCode: string): boolean {
  return ['coordinator', 'supervisor', 'admin'].includes(actor.role) || (actor.role === 'handler' && actor.isHead && actor.departmentCode === departmentCode);
}

/** A department's assessment for a year: the verdict (`vetoed`, `eligibleForCommendation`), substantiated cases, the veto, the year's figures. */
export interface Assessment {
  departmentCode: string;
  year: number;
  vetoed: boolean;
  eligibleForCommendation: boolean;
  substantiatedCases: number;
  veto: VetoRecord | null;
  figures: Record<string, unknown> | null;
}

/**
 * The department assessment (DESIGN §7 考核督查 / 评选表彰): the year's figures (the business
 * year, default the current one) and the veto from the register (which knows revocations).
 * The department's own staff get the veto redacted by the presenter.
 * @throws 403 `forbidden` (see `canReadAssessment`), 404 unknown department
 */
export async function departmentAssessment(deps: AppDeps, actor: UserActor, code: string, year?: number): Promise<Assessment> {
  if (!canReadAssessment(actor, code)) throw forbidden("the assessment is read by the coordinator, supervisors, the admin, and the department's own head");
  const c0 = { now: deps.clock.now(), cal: await deps.calendar.get(deps.db.manager), tz: deps.config.businessTz };
  const maintained = await catchUpFigures(deps.db, c0.tz, c0.now);
  // lag-tolerant: on a replica when there is one and the viewer wrote nothing just now (src/replicas.ts)
  return readLagTolerant(deps, actor, async (em) => {
    const c = { ...c0, em };
    const dep = await c.em.findOneBy(Department, { code });
    if (!dep) throw notFound('department');
    const y = year ?? Number(localDate(c.now, c.tz).slice(0, 4));
    const range = { from: startOfLocalDay(`${y}-01-01`, c.tz), to: startOfLocalDay(`${y + 1}-01-01`, c.tz) };
    const [veto] = await loadVetoes(c.em, { departmentCode: dep.code, year: y });
    const verdict = assessmentVerdict(!!veto?.vetoed);
    let figures: Record<string, unknown> | null = null;
    try {
      figures = { ...(await departmentFigures(c.em, dep.code, range, c.cal, c.tz, c.now, { hideAccusedOf: actor.departmentCode, maintained })), vetoed: verdict.vetoed };
    } catch (e) {
      if (!(e instanceof AppError && e.status === 501)) throw e;
    }
    return { departmentCode: dep.code, year: y, ...verdict, substantiatedCases: await substantiatedCases(c.em, dep.code, y), veto: veto ?? null, figures };
  });
}
