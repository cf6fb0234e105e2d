import type { DataSource } from 'typeorm';
import { In } from 'typeorm';
import type { Readable } from 'node:stream';
import { Ticket, TicketAttachment } from '../entities';
import { Action, Actor, canView } from '../domain/lifecycle';
import { FILE_ACTIONS, MAX_ATTACHMENTS_PER_TICKET, actionTakesFiles, attachesInternally, canAttach, canReadAttachment, isAuditedAttachmentRead } from '../domain/attachments';
import { AppError, conflict, forbidden, notFound, unprocessable } from '../errors';
import type { AppDeps } from '../deps';
import { runAs } from '../deps';
import type { Logger } from '../logger';
import type { BlobStore } from '../storage';
import { finalKey, idOfStagingKey, stagingKey } from '../storage/blob-store';
import { discardStaged } from '../uploads/discard';
import type { StagedFile } from '../uploads/stage';
import { CommandContext, actorId, actorRole } from './context';
import { authorize, facts, loadVisibleTicket } from './ticket-store';
import { appendEvent } from './events';
import { isMysql } from '../db';

/** What an event payload says of each file it brought: no name (personal data), the hash that the chain covers. */
export interface AttachmentRef {
  id: string;
  sha256: string;
  size: number;
  type: string;
}
export const attachmentRefs = (files: readonly StagedFile[]): AttachmentRef[] => files.map((f) => ({ id: f.id, sha256: f.sha256, size: f.size, type: f.type.mime }));

/** Where a file came in: the action, the oversight answer, or a plain attach. */
export type AttachContext = 'create' | 'supplement' | 'reply' | 'conclude' | 'decide' | 'oversight_response' | 'attach';

/**
 * Writes the rows of staged files brought by `event`, in the caller's transaction
 * (the files themselves are moved to their final keys after the commit by {@link runWithFiles}).
 * @throws 422 `too-many-attachments` past {@link MAX_ATTACHMENTS_PER_TICKET} on the ticket
 */
export async function recordAttachments(
  ctx: CommandContext,
  t: Pick<Ticket, 'id' | 'cycle'>,
  files: readonly StagedFile[],
  o: { event: { id: string; seq: number }; context: AttachContext; internal: boolean; orderId?: string; fresh?: boolean },
): Promise<void> {
  if (!files.length) return;
  const existing = o.fresh ? 0 : await ctx.em.count(TicketAttachment, { where: { ticketId: t.id } });
  if (existing + files.length > MAX_ATTACHMENTS_PER_TICKET) {
    throw unprocessable('too-many-attachments', `a ticket holds at most ${MAX_ATTACHMENTS_PER_TICKET} files (it has ${existing})`, [
      { field: 'file', code: 'too_many', message: `at most ${MAX_ATTACHMENTS_PER_TICKET} files per ticket` },
    ]);
  }
  await ctx.em.insert(
    TicketAttachment,
    files.map((f, position) => ({
      id: f.id,
      ticketId: t.id,
      cycle: t.cycle,
      eventId: o.event.id,
      eventSeq: o.event.seq,
      position,
      context: o.context,
      orderId: o.orderId ?? null,
      internal: o.internal,
      name: f.name,
      mediaType: f.type.mime,
      size: f.size,
      sha256: f.sha256,
      hasPreview: f.hasPreview,
      uploaderId: actorId(ctx.actor),
      uploaderRole: actorRole(ctx.actor),
      createdAt: ctx.now,
    })) as never,
  );
}

/**
 * Moves committed files from their staging keys to their final keys. A move that fails (the
 * store unreachable just after the commit) is logged: reads find the file under its staging key
 * and the orphan sweep finishes the move, so nothing is lost. Never throws.
 */
export async function commitStaged(store: BlobStore, files: readonly StagedFile[], log?: Logger): Promise<void> {
  await Promise.all(
    files
      .filter((f) => f.state === 'staged')
      .map(async (f) => {
        f.state = 'committed';
        try {
          await store.move(stagingKey(f.id), finalKey(f.id));
          if (f.hasPreview) await store.move(stagingKey(f.id, true), finalKey(f.id, true));
        } catch (e) {
          log?.warn({ err: e, attachmentId: f.id }, 'attachment not moved to its final key; the sweep will');
        }
      }),
  );
}

/**
 * Runs `fn` as `actor` in one transaction (like `runAs`) for an action that brings the staged
 * `files`: after the commit the files are moved to their final keys; if the transaction fails
 * (refused, rolled back) they are deleted, so a rolled-back action leaves no file.
 */
export async function runWithFiles<T>(deps: AppDeps, actor: Actor, files: readonly StagedFile[], fn: (c: CommandContext) => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await runAs(deps, actor, fn);
  } catch (e) {
    await discardStaged(deps.storage, files, deps.log);
    throw e;
  }
  await commitStaged(deps.storage, files, deps.log);
  return result;
}

/**
 * Whether the actor may attach files to the ticket now, checked before any byte is stored (the
 * command checks again in its transaction). @throws 404 not visible, 403 never, 409 `attachments-closed`
 */
export async function checkCanAttach(deps: Pick<AppDeps, 'db'>, actor: Actor, ticketId: string): Promise<void> {
  const t = await deps.db.getRepository(Ticket).findOneBy({ id: ticketId });
  assertCanAttach(t, actor);
}

function assertCanAttach(t: Ticket | null, actor: Actor): asserts t is Ticket {
  if (!t || !canView(facts(t), actor)) throw notFound('ticket');
  const f = facts(t);
  if (canAttach(f, actor)) return;
  // allowed on an open ticket, but this one is closed → 409; never allowed → 403
  if (canAttach({ ...f, state: 'in_progress' }, actor)) throw conflict('attachments-closed', `files cannot be added to a ticket in state ${t.state}`, { state: t.state });
  throw forbidden('you may not attach files to this ticket');
}

/**
 * Whether the actor may perform `action` with files on the ticket now, checked before any byte
 * is stored (the action checks again in its transaction, with `If-Match`).
 * @throws 400 `files-not-accepted`, and 404/403/409 as the action would
 */
export async function checkCanActWithFiles(deps: Pick<AppDeps, 'db'>, actor: Actor, ticketId: string, action: Action): Promise<void> {
  if (!actionTakesFiles(action))
    throw new AppError(400, 'files-not-accepted', `files go with ${FILE_ACTIONS.join(', ')}, not with ${action}`, [{ field: 'file', code: 'not_accepted', message: `${action} takes no files` }]);
  const t = await deps.db.getRepository(Ticket).findOneBy({ id: ticketId });
  if (!t) throw notFound('ticket');
  authorize(t, action, actor);
}

/**
 * Attaches staged files to a ticket outside any action (`POST /tickets/:id/attachments`,
 * DESIGN §3 `attached`): one `attached` event whose payload lists each file's id, SHA-256, size
 * and type; rows written with it; the files committed after the transaction (or deleted if it
 * fails). Staff files (departments, coordinator, supervisors) are internal.
 * @throws 404, 403, 409 `attachments-closed` (see {@link checkCanAttach}), 400 `no-files`, 422 `too-many-attachments`
 */
export async function attachTicketFiles(deps: AppDeps, actor: Actor, ticketId: string, files: readonly StagedFile[]): Promise<AttachmentsRead> {
  if (!files.length) {
    await discardStaged(deps.storage, files, deps.log);
    throw new AppError(400, 'no-files', 'send one or more file parts', [{ field: 'file', code: 'required', message: 'at least one file' }]);
  }
  return runWithFiles(deps, actor, files, async (c) => {
    // Locked: the event goes on the ticket's chain in turn with concurrent actions.
    const t = await c.em.getRepository(Ticket).findOne({ where: { id: ticketId }, ...(isMysql(c.em) ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    assertCanAttach(t, actor);
    const internal = attachesInternally(actor);
    const ev = await appendEvent(c.em, t, {
      type: 'attached',
      actor,
      at: c.now,
      fromState: t.state,
      toState: t.state,
      payload: { attachments: attachmentRefs(files), ...(internal ? { internal: true } : {}) },
    });
    await recordAttachments(c, t, files, { event: ev, context: 'attach', internal });
    const all = await c.em.find(TicketAttachment, { where: { ticketId }, order: { eventSeq: 'ASC', position: 'ASC' } });
    const ids = new Set(files.map((f) => f.id));
    return { ticket: t, items: all.map((a, i) => ({ attachment: a, ordinal: i + 1 })).filter((x) => ids.has(x.attachment.id)) };
  });
}

/** Attachments with their 1-based place among the ticket's files (the neutral names of integrity evidence count on it). */
export interface AttachmentsRead {
  ticket: Ticket;
  items: { attachment: TicketAttachment; ordinal: number }[];
}

/**
 * The attachments of a ticket the actor may read, oldest first (none at all for the accused
 * department, which cannot see the ticket: 404). @throws 404 not visible
 */
export async function listTicketAttachments(deps: AppDeps, actor: Actor, ticketId: string): Promise<AttachmentsRead> {
  return runAs(deps, actor, async (c) => {
    const t = await loadVisibleTicket(c, ticketId);
    const rows = await c.em.find(TicketAttachment, { where: { ticketId }, order: { eventSeq: 'ASC', position: 'ASC' } });
    return { ticket: t, items: rows.map((a, i) => ({ attachment: a, ordinal: i + 1 })).filter((x) => canReadAttachment(facts(t), x.attachment, actor)) };
  });
}

/**
 * One attachment's bytes for the actor (`GET /tickets/:id/attachments/:attachmentId`, its
 * preview with `part: 'preview'`): 404 unless the actor may read it (DESIGN §1, §7). A supervisor's
 * read of integrity-report evidence is recorded first, as an `attachment_read` event (payload
 * `{ attachmentId, sha256, part }`) committed before any byte is sent.
 * @throws 404 not visible / no such attachment / no preview, 503 `attachment-unavailable` when the store fails
 */
export async function readAttachment(
  deps: AppDeps,
  actor: Actor,
  ticketId: string,
  attachmentId: string,
  part: 'file' | 'preview' = 'file',
): Promise<{ attachment: TicketAttachment; audited: boolean; stream: Readable; size: number }> {
  const { attachment, audited } = await runAs(deps, actor, async (c) => {
    const t = await loadVisibleTicket(c, ticketId);
    const a = await c.em.findOneBy(TicketAttachment, { id: attachmentId, ticketId });
    if (!a || !canReadAttachment(facts(t), a, actor) || (part === 'preview' && !a.hasPreview)) throw notFound('attachment');
    const audited = isAuditedAttachmentRead(facts(t), actor);
    if (audited) {
      const locked = await loadVisibleTicket(c, ticketId, true);
      await appendEvent(c.em, locked, { type: 'attachment_read', actor, at: c.now, fromState: locked.state, toState: locked.state, payload: { attachmentId: a.id, sha256: a.sha256, part } });
    }
    return { attachment: a, audited };
  });
  const preview = part === 'preview';
  let found: Awaited<ReturnType<BlobStore['open']>>;
  try {
    // committed files are under their final key; one whose move did not happen yet is still staged
    found = (await deps.storage.open(finalKey(attachment.id, preview))) ?? (await deps.storage.open(stagingKey(attachment.id, preview)));
  } catch (e) {
    deps.log.error({ err: e, attachmentId: attachment.id }, 'attachment store failed');
    throw new AppError(503, 'attachment-unavailable', 'the file cannot be read right now; try again later');
  }
  if (!found) {
    deps.log.error({ attachmentId: attachment.id, preview }, 'attachment row without its file');
    throw new AppError(503, 'attachment-unavailable', 'the file cannot be read right now; try again later');
  }
  return { attachment, audited, stream: found.stream, size: found.size };
}

/** Staged files older than this are orphans (no upload runs this long: Node ends requests after 300 s). */
export const STAGING_GRACE_MS = 3600_000;

/**
 * The orphan sweep (run with every worker sweep): each staged file older than
 * {@link STAGING_GRACE_MS} whose row exists was committed but not moved (a crash, the store down
 * after the commit): it is moved now; one without a row belongs to a request or action that
 * never committed: it is deleted. At most `limit` keys per sweep (the next sweep goes on).
 * @returns counts of moved and deleted keys
 */
export async function sweepOrphanFiles(db: DataSource, store: BlobStore, now: Date, limit = 500): Promise<{ moved: number; deleted: number }> {
  const old: { key: string; id: string; preview: boolean }[] = [];
  for await (const o of store.list('staging/')) {
    const parsed = idOfStagingKey(o.key);
    if (now.getTime() - o.modifiedAt.getTime() < STAGING_GRACE_MS) continue;
    if (!parsed) {
      await store.delete(o.key); // not ours (a partial copy): nothing refers to it
      continue;
    }
    old.push({ key: o.key, ...parsed });
    if (old.length >= limit) break;
  }
  if (!old.length) return { moved: 0, deleted: 0 };
  const ids = [...new Set(old.map((o) => o.id))];
  const rows = new Set((await db.getRepository(TicketAttachment).find({ where: { id: In(ids) }, select: { id: true } })).map((r) => r.id));
  let moved = 0,
    deleted = 0;
  for (const o of old) {
    if (rows.has(o.id)) {
      await store.move(o.key, finalKey(o.id, o.preview));
      moved++;
    } else {
      await store.delete(o.key);
      deleted++;
    }
  }
  return { moved, deleted };
}
