/**
 * The one-vote veto (一票否决, DESIGN §7). Pure rules; the register lives in
 * `commands/vetoes.ts`.
 *
 * A veto belongs to (accused department, year of the occurrence) and stands while at least
 * one of its causes — substantiated integrity reports — is not revoked. One case is enough.
 * Revoking the veto (supervisor, reason) revokes every standing cause; a later substantiated
 * case for the same department and year adds a cause and so reinstates the same veto, whose
 * history keeps every step.
 */

/** The veto year of a case: the calendar year of the date it happened ('YYYY-MM-DD', local). */
export function vetoYear(occurredOn: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(occurredOn)) throw new RangeError(`occurredOn must be YYYY-MM-DD, got ${JSON.stringify(occurredOn)}`);
  return Number(occurredOn.slice(0, 4));
}

/** A veto stands while any of its causes is not revoked. */
export function vetoStands(causes: readonly { revokedAt: Date | null }[]): boolean {
  return causes.some((c) => c.revokedAt === null);
}

/** Steps recorded in a veto's history. */
export const VETO_HISTORY_TYPES = ['imposed', 'cause_added', 'reinstated', 'cause_withdrawn', 'revoked'] as const;
export type VetoHistoryType = (typeof VETO_HISTORY_TYPES)[number];

/**
 * What adding a substantiated case does to the register: a new veto is `imposed`; a cause
 * added to a standing veto is `cause_added`; to a revoked one it `reinstated` it.
 */
export function historyTypeForNewCause(vetoIsNew: boolean, stoodBefore: boolean): VetoHistoryType {
  if (vetoIsNew) return 'imposed';
  return stoodBefore ? 'cause_added' : 'reinstated';
}

/**
 * The assessment verdict (DESIGN §7 考核督查, 评选表彰): a vetoed department is ineligible for
 * commendation that year, whatever its other figures.
 */
export function assessmentVerdict(vetoed: boolean): { vetoed: boolean; eligibleForCommendation: boolean } {
  return { vetoed, eligibleForCommendation: !vetoed };
}
