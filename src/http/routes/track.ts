import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps, runCommand } from '../deps';
import { multiline } from '../../schemas';
import type { TicketRecord as Ticket } from '../../queries/tickets';
import { performAction } from '../../commands/actions';
import { presentTracked } from '../presenters';
import { TrackedView } from '../responses';
import { sharedAttemptStore, takeAttempt, trackLimit } from '../limiter';
import { publicAnswers, publicTimeline, unlockTicket } from '../../queries/tracking';
import { RATINGS, Actor } from '../../domain/lifecycle';
import { attachTicketFiles, checkCanActWithFiles, checkCanAttach, listTicketAttachments, readAttachment } from '../../commands/attachments';
import { actOnTicket } from '../../commands/actions';
import { presentAttachments, presentAttachmentRefs } from '../presenters';
import { AttachmentList } from '../responses';
import { DOWNLOAD_TYPES, sendAttachment } from './attachments';
import { PREVIEW_TYPE } from '../../uploads/photos';
import { Uuid } from '../../schemas';

const Code = z.string().min(1).max(32);
const NumberParam = z.object({ number: z.string().regex(/^[A-Z]{1,6}\d{10}$/, 'not a ticket number') });

/** Public tracking with the ticket number and access code (DESIGN §1, §13). */
export function trackRoutes(router: Router, deps: AppDeps) {
  // Wrong access codes per (ticket number, client address): 10 in 15 minutes, then 429 until
  // the window closes; a right code clears the count (docs/decisions/security.md). The
  // pages count on the same store and keys.
  const attempts = sharedAttemptStore(deps);
  const tags = ['tracking'];

  async function unlock(ctx: Context, number: string, code: string): Promise<Ticket> {
    const limit = trackLimit(number, ctx.ip);
    await takeAttempt(ctx, attempts, [limit], 'too many wrong access codes; try again later');
    // a miss keeps the attempt counted by takeAttempt
    const t = await unlockTicket(deps.db.manager, deps.config.jwtSecret, number, code);
    await attempts.clear([limit.key]);
    return t;
  }
  async function view(t: Ticket) {
    return presentTracked(t, await publicAnswers(deps.db.manager, t.id), await publicTimeline(deps.db.manager, t.id));
  }

  route(
    router,
    {
      method: 'get',
      path: '/track/:number',
      summary: 'Track a ticket with its access code',
      tags,
      auth: 'public',
      response: TrackedView,
      params: NumberParam,
      query: z.object({ code: Code }).strict(),
    },
    async (ctx, { params, query }) => {
      const t = await unlock(ctx, params.number, query.code);
      ctx.body = await view(t);
    },
  );

  /** The ticket of a right code, unlocked once per request (the precheck of a multipart request unlocks it first). */
  const unlocked = async (ctx: Context, number: string, code: string): Promise<Ticket> => (ctx.state.tracked ??= await unlock(ctx, number, code));
  const submitter = (t: Ticket): Actor => ({ kind: 'access_code', ticketId: t.id });

  route(
    router,
    {
      method: 'post',
      path: '/track/:number/supplement',
      summary: 'Supplement information as the submitter; with files as multipart (code and message as fields or a payload part, then file parts)',
      tags,
      auth: 'public',
      response: TrackedView,
      params: NumberParam,
      body: z.object({ code: Code, message: multiline(5000) }).strict(),
      files: {
        uploads: deps.uploads,
        precheck: async (ctx, { params, body }) => checkCanActWithFiles(deps, submitter(await unlocked(ctx, params.number, body.code)), (ctx.state.tracked as Ticket).id, 'supplement'),
      },
    },
    async (ctx, { params, body, files }) => {
      const t = await unlocked(ctx, params.number, body.code);
      const updated = await actOnTicket(deps, submitter(t), t.id, { action: 'supplement', message: body.message }, undefined, files);
      ctx.body = { ...(await view(updated)), ...presentAttachmentRefs(files) };
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/track/:number/attachments',
      summary: 'Attach files as the submitter (multipart: a `code` field, then `file` parts)',
      tags,
      auth: 'public',
      status: 201,
      response: AttachmentList,
      params: NumberParam,
      body: z.object({ code: Code }).strict(),
      files: { uploads: deps.uploads, precheck: async (ctx, { params, body }) => checkCanAttach(deps, submitter(await unlocked(ctx, params.number, body.code)), (ctx.state.tracked as Ticket).id) },
    },
    async (ctx, { params, body, files }) => {
      const t = await unlocked(ctx, params.number, body.code);
      const r = await attachTicketFiles(deps, submitter(t), t.id, files);
      ctx.status = 201;
      ctx.body = presentAttachments(r, submitter(t));
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/track/:number/attachments',
      summary: 'The files of a ticket the submitter may read (not the internal ones)',
      tags,
      auth: 'public',
      response: AttachmentList,
      params: NumberParam,
      query: z.object({ code: Code }).strict(),
    },
    async (ctx, { params, query }) => {
      const t = await unlock(ctx, params.number, query.code);
      ctx.body = presentAttachments(await listTicketAttachments(deps, submitter(t), t.id), submitter(t));
    },
  );

  const FileParams = NumberParam.extend({ attachmentId: Uuid });
  route(
    router,
    {
      method: 'get',
      path: '/track/:number/attachments/:attachmentId',
      summary: 'Download one file as the submitter',
      tags,
      auth: 'public',
      params: FileParams,
      query: z.object({ code: Code }).strict(),
      binary: DOWNLOAD_TYPES,
    },
    async (ctx, { params, query }) => {
      const t = await unlock(ctx, params.number, query.code);
      sendAttachment(ctx, await readAttachment(deps, submitter(t), t.id, params.attachmentId, 'file'), 'file');
    },
  );
  route(
    router,
    {
      method: 'get',
      path: '/track/:number/attachments/:attachmentId/preview',
      summary: "A photo's preview as the submitter",
      tags,
      auth: 'public',
      params: FileParams,
      query: z.object({ code: Code }).strict(),
      binary: [PREVIEW_TYPE],
    },
    async (ctx, { params, query }) => {
      const t = await unlock(ctx, params.number, query.code);
      sendAttachment(ctx, await readAttachment(deps, submitter(t), t.id, params.attachmentId, 'preview'), 'preview');
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/track/:number/rate',
      summary: 'Rate the answer as the submitter',
      tags,
      auth: 'public',
      response: TrackedView,
      params: NumberParam,
      body: z.object({ code: Code, rating: z.enum(RATINGS), comment: multiline(1000).optional() }).strict(),
    },
    async (ctx, { params, body }) => {
      const t = await unlock(ctx, params.number, body.code);
      const actor: Actor = { kind: 'access_code', ticketId: t.id };
      const updated = await runCommand(deps, ctx, (c) => performAction(c, t.id, { action: 'rate', rating: body.rating, comment: body.comment }), actor);
      deps.onTicketsChanged?.([t.id]);
      ctx.body = await view(updated);
    },
  );
}
