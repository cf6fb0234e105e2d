/**
 * The ticket actions of DESIGN §3 (`POST /tickets/:id/<action>`, the pages' action forms):
 * one wrapper that authorizes, applies, writes the event and saves, and one handler per
 * action that does only what is particular to it.
 */
import { Ticket } from '../../entities';
import type { AppDeps } from '../../deps';
import type { Actor } from '../../domain/lifecycle';
import { Action, ACTION_MEETS, Outcome, Rating, RejectGround } from '../../domain/lifecycle';
import { isOnTime } from '../../domain/owed';
import { CommandContext } from '../context';
import { authorize, loadVisibleTicket, saveTicket } from '../ticket-store';
import { appendEvent } from '../events';
import { recomputeDeadlines } from '../deadlines';
import { escalateManually, escalateNewCycle, EscalateInput } from '../escalation';
import { concludeIntegrityReport, ConcludeInput } from '../integrity';
import { decideObjection, DecideInput } from '../objections';
import { ActionHandler } from './handler';
import { releasesMerged } from '../../domain/merge';
import { releaseMerged, ticketsTouchedByMerges } from '../merges';
import { closeOrdersOfEndedTicket, followDepartment } from '../oversight';

/** States in which a ticket's open oversight orders are closed (`closeOrdersOfEndedTicket`). */
const ENDS_ORDERS: ReadonlySet<string> = new Set(['merged', 'rejected', 'withdrawn', 'closed']);
import { dispatchTicket, mergeTicket, rejectTicket, returnTicket } from './routing';
import { addNote, decideExtension, replyToTicket, requestExtension, requestInfo, signForTicket, supplementTicket } from './handling';
import { closeTicket, rateTicket, reopenTicket, withdrawTicket } from './closing';
import { AppError } from '../../errors';
import { actionTakesFiles, FILE_ACTIONS } from '../../domain/attachments';
import type { StagedFile } from '../../uploads/stage';
import { AttachContext, attachmentRefs, recordAttachments, runWithFiles } from '../attachments';

/** Arguments of the ticket actions of DESIGN §3, as validated at the edge (`src/schemas.ts` ActionBodies). */
export type ActionInput =
  | { action: 'dispatch'; departmentCode: string; note?: string }
  | { action: 'sign' }
  | { action: 'return'; reason: string }
  | { action: 'request-info'; message: string }
  | { action: 'supplement'; message: string }
  | { action: 'request-extension'; workingDays: number; reason: string }
  | { action: 'decide-extension'; approve: boolean; note?: string }
  | { action: 'reply'; outcome: Outcome; message: string }
  | { action: 'rate'; rating: Rating; comment?: string; via?: 'callback' }
  | { action: 'reject'; ground: RejectGround; detail: string }
  | { action: 'withdraw'; reason?: string }
  | { action: 'merge'; intoTicketId: string }
  | { action: 'reopen'; reason: string }
  | { action: 'close'; note?: string }
  | { action: 'note'; text: string }
  | ({ action: 'escalate' } & EscalateInput)
  | ({ action: 'conclude' } & ConcludeInput)
  | ({ action: 'decide' } & DecideInput);

type Input<A extends Action> = Extract<ActionInput, { action: A }>;

/** One handler per action; the wrapper (`performAction`) does what they share. */
const HANDLERS: { [A in Action]: ActionHandler<Input<A>> } = {
  dispatch: dispatchTicket,
  sign: signForTicket,
  return: returnTicket,
  'request-info': requestInfo,
  supplement: supplementTicket,
  'request-extension': requestExtension,
  'decide-extension': decideExtension,
  reply: replyToTicket,
  rate: rateTicket,
  reject: rejectTicket,
  withdraw: withdrawTicket,
  merge: mergeTicket,
  reopen: reopenTicket,
  close: closeTicket,
  note: addNote,
  escalate: async (ctx, t, input) => escalateManually(ctx, t, input),
  conclude: async (ctx, t, input) => concludeIntegrityReport(ctx, t, input),
  decide: async (ctx, t, input) => decideObjection(ctx, t, input),
};

/**
 * Performs one lifecycle action on a ticket in the caller's transaction (DESIGN §3):
 * authorizes it (404 not visible, 403 never for this actor, 412 stale `expectedVersion`,
 * 409 `illegal-transition` with `state` and `allowed`), runs the action's handler, takes the
 * next state from the transition table (a handler that opened a new cycle has set it),
 * records whether an answering action met its deadline (`onTime`, from `ACTION_MEETS`),
 * recomputes the deadlines, saves with a conditional update on `version` (409
 * `concurrent-update`), and writes the event (and a new cycle's `reopened` event). A ticket
 * ending without an answer (withdrawn, rejected) releases the tickets merged into it
 * (`releaseMerged`, listed as `releasedTicketIds` in its event); when the ticket's department
 * changed, its open oversight orders follow it (`followDepartment`). `files`
 * (staged by the caller, committed by `runWithFiles`) go with the actions of `FILE_ACTIONS`
 * (supplement, reply, conclude, decide): listed with their SHA-256 in the action's event
 * (`attachments`), their rows written with it (issue 12).
 * @returns the saved ticket
 * @throws also 400 `files-not-accepted` for files on another action
 */
export async function performAction(ctx: CommandContext, ticketId: string, input: ActionInput, expectedVersion?: number, files: readonly StagedFile[] = []): Promise<Ticket> {
  const action = input.action;
  if (files.length && !actionTakesFiles(action)) {
    throw new AppError(400, 'files-not-accepted', `files go with ${FILE_ACTIONS.join(', ')}, not with ${action}`, [{ field: 'file', code: 'not_accepted', message: `${action} takes no files` }]);
  }
  const t = await loadVisibleTicket(ctx, ticketId);
  const to = authorize(t, action, ctx.actor, expectedVersion, input.action === 'rate' ? { rating: input.rating } : {});
  const from = t.state;
  const read = { version: t.version, cycle: t.cycle };
  const meets = ACTION_MEETS[action];
  const onTime = meets ? isOnTime(meets === 'sign' ? t.signBy : t.replyBy, ctx.now) : undefined;

  const fromDepartment = t.departmentCode;
  const out = await (HANDLERS[action] as ActionHandler<ActionInput>)(ctx, t, input);

  const newCycle = t.cycle !== read.cycle;
  if (!newCycle) t.state = to;
  // A primary that ends without an answer releases the tickets merged into it (issue 13 item 2).
  if (!newCycle && releasesMerged(t.state)) {
    const released = await releaseMerged(ctx, t, read.version);
    if (released.length) out.payload = { ...out.payload, releasedTicketIds: released };
  }
  const payload = { ...out.payload, ...(onTime === undefined ? {} : { onTime }), ...(files.length ? { attachments: attachmentRefs(files) } : {}) };
  await recomputeDeadlines(ctx, t);
  await saveTicket(ctx.em, t, read.version, ctx.now);
  const { em, actor, now } = ctx;
  // A bad rating writes its event in the old cycle and `reopened` in the new one.
  const main = await appendEvent(em, { id: t.id, cycle: out.reopened ? read.cycle : t.cycle }, { type: out.type, actor, at: now, fromState: from, toState: out.reopened ? from : t.state, payload });
  await recordAttachments(ctx, { id: t.id, cycle: main.cycle }, files, { event: main, context: action as AttachContext, internal: false });
  if (out.reopened) await appendEvent(em, t, { type: 'reopened', actor, at: now, fromState: from, toState: t.state, payload: out.reopened });
  // Open oversight orders follow the department that now owes the answer (issue 13 item 7).
  if (t.departmentCode !== fromDepartment) await followDepartment(ctx, t);
  // A ticket merged away, rejected, withdrawn or closed (rated, closed by the coordinator) closes its open orders.
  if (!newCycle && from !== t.state && ENDS_ORDERS.has(t.state)) await closeOrdersOfEndedTicket(ctx, t);
  // From the second reopening on, the new cycle starts with a level-2 oversight order (DESIGN §3).
  if (newCycle) await escalateNewCycle(ctx, t);
  return t;
}

/**
 * `performAction` in a transaction of its own as `actor`, then the ticket's timers re-armed
 * (what the API's action routes and the pages' action forms call). Staged `files` are
 * committed with the transaction, or deleted when it fails.
 * @returns the saved ticket
 * @throws as `performAction`
 */
export async function actOnTicket(deps: AppDeps, actor: Actor, ticketId: string, input: ActionInput, expectedVersion?: number, files: readonly StagedFile[] = []): Promise<Ticket> {
  let others: string[] = [];
  const t = await runWithFiles(deps, actor, files, async (c) => {
    const done = await performAction(c, ticketId, input, expectedVersion, files);
    others = ticketsTouchedByMerges(c.em);
    return done;
  });
  deps.onTicketsChanged?.([t.id, ...others]);
  return t;
}
