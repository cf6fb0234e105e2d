/**
 * The rules of merging duplicates (并单, DESIGN §3; issue 13 items 1 and 2). Pure: the
 * commands lock the rows and apply them (`src/commands/merges.ts`).
 *
 * - A ticket goes into a primary that is open and not itself merged: merges never form a
 *   chain or a cycle. The tickets already merged into the one being merged follow it to
 *   the new primary (one level, always).
 * - A primary that ends without an answer for the merged submitters (withdrawn by its
 *   owner, rejected by the coordinator) releases them: each merged ticket returns to
 *   `registered` (待分派, the coordinator routes it again on its own) and its submitter is
 *   told. No merged ticket ever points at a ticket that will not be answered.
 */
import { isOpen, TicketKind, TicketState } from './lifecycle';

/** Why a merge is refused: `self`, `unknown` (no such ticket, or an integrity report), `not_open` (422), `merged` (409 `merge-into-merged`). */
export type MergeRefusal = 'self' | 'unknown' | 'not_open' | 'merged';

/**
 * Whether `dup` may go into `primary` as they are now (read under the lock of both rows).
 * @returns null when it may, else the reason
 */
export function mergeRefusal(dup: { id: string }, primary: { id: string; kind: TicketKind; state: TicketState } | null): MergeRefusal | null {
  if (primary?.id === dup.id) return 'self';
  if (!primary || primary.kind === 'integrity_report') return 'unknown';
  if (primary.state === 'merged') return 'merged';
  if (!isOpen(primary.state)) return 'not_open';
  return null;
}

/** The states in which a ticket ends without an answer that could reach merged submitters. */
export const ENDS_UNANSWERED: readonly TicketState[] = ['withdrawn', 'rejected'];

/** Whether a primary entering `to` releases the tickets merged into it. */
export const releasesMerged = (to: TicketState): boolean => ENDS_UNANSWERED.includes(to);

/** The state a released (un-merged) ticket returns to: the coordinator's queue (待分派). */
export const UNMERGED_STATE: TicketState = 'registered';

/** Why a merged ticket was released, from the state its primary entered (the `unmerged` event's `reason`). */
export const unmergeReason = (primaryState: TicketState): 'primary_withdrawn' | 'primary_rejected' => (primaryState === 'withdrawn' ? 'primary_withdrawn' : 'primary_rejected');
