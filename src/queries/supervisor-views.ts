/**
 * What the supervisors' workbench pages read (issue 10 "Supervisor"), each page one call:
 * the veto register with the departments' names. Who may read it is the register's rule
 * (`vetoRegister`: coordinator and supervisors; the accused department's own staff see
 * only what `presentVeto` gives them).
 */
import type { AppDeps } from '../deps';
import type { Actor } from '../domain/lifecycle';
import type { VetoRecord } from '../commands/vetoes';
import { vetoRegister } from './vetoes';
import { listDepartments } from './reference';

/** The veto register of a year (or every year) and each department's Chinese name. */
export async function vetoRegisterView(deps: AppDeps, actor: Actor, year?: number): Promise<{ vetoes: VetoRecord[]; names: Map<string, string> }> {
  const vetoes = await vetoRegister(deps, actor, year);
  return { vetoes, names: new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh])) };
}
