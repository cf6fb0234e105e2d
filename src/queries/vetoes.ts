import type { AppDeps } from '../deps';
import type { Actor } from '../domain/lifecycle';
import { loadVetoes, VetoRecord } from '../commands/vetoes';
import { readLagTolerant } from '../replicas';

/** The veto register (DESIGN §7), all years or one; lag-tolerant (a replica when there is one). */
export function vetoRegister(deps: AppDeps, actor: Actor, year?: number): Promise<VetoRecord[]> {
  return readLagTolerant(deps, actor, (em) => loadVetoes(em, year === undefined ? {} : { year }));
}
