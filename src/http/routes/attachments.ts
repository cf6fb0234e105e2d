import Router from '@koa/router';
import type { Context } from 'koa';
import type { Readable } from 'node:stream';
import { z } from '../openapi';
import { route } from '../route';
import { AppDeps } from '../deps';
import { Uuid } from '../../schemas';
import { Actor } from '../../domain/lifecycle';
import { attachTicketFiles, checkCanAttach, listTicketAttachments, readAttachment } from '../../commands/attachments';
import { presentAttachments } from '../presenters';
import { AttachmentList } from '../responses';
import { PREVIEW_TYPE } from '../../uploads/photos';
import { ATTACHMENT_TYPES } from '../../domain/attachments';

export const AttachmentParams = z.object({ id: Uuid, attachmentId: Uuid });

/**
 * `Content-Disposition` with the stored name (RFC 6266): an ASCII fallback and the UTF-8 name
 * (RFC 8187), so Chinese names survive; quotes and control characters never reach the header.
 */
export function contentDisposition(kind: 'attachment' | 'inline', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/**
 * Sends one attachment's bytes (or its preview). Downloads are never rendered by the browser:
 * `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff` (set for every response)
 * and a sandboxing CSP; only previews of photos (images the service itself encoded) are inline.
 */
export function sendAttachment(ctx: Context, r: { attachment: { name: string; mediaType: string; sha256: string }; stream: Readable; size: number }, part: 'file' | 'preview') {
  const preview = part === 'preview';
  ctx.type = preview ? PREVIEW_TYPE : r.attachment.mediaType;
  ctx.length = r.size;
  ctx.set('Content-Disposition', contentDisposition(preview ? 'inline' : 'attachment', preview ? `${r.attachment.name.replace(/\.[^.]+$/, '')}-preview.webp` : r.attachment.name));
  ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
  ctx.set('Cache-Control', 'private, no-store');
  if (!preview) ctx.set('Repr-Digest', `sha-256=:${Buffer.from(r.attachment.sha256, 'hex').toString('base64')}:`);
  ctx.body = r.stream;
}

export const DOWNLOAD_TYPES = [...new Set(Object.keys(ATTACHMENT_TYPES))];

/** Attachments of a ticket for signed-in users (issue 12): upload, list, download, preview. */
export function attachmentRoutes(router: Router, deps: AppDeps) {
  const tags = ['attachments'];

  route(
    router,
    {
      method: 'post',
      path: '/tickets/:id/attachments',
      summary: 'Attach files to a ticket (multipart, one or more `file` parts); the submitter, intake for a caller, the handling department, the coordinator (supervisors on integrity reports)',
      tags,
      params: z.object({ id: Uuid }),
      status: 201,
      response: AttachmentList,
      files: { uploads: deps.uploads, precheck: async (ctx, { params }) => checkCanAttach(deps, ctx.state.actor as Actor, params.id) },
    },
    async (ctx, { params, files, actor }) => {
      if (!ctx.is('multipart/form-data')) await checkCanAttach(deps, actor, params.id);
      const r = await attachTicketFiles(deps, actor, params.id, files);
      ctx.status = 201;
      ctx.body = presentAttachments(r, actor);
    },
  );

  route(
    router,
    { method: 'get', path: '/tickets/:id/attachments', summary: 'The files of a ticket the caller may read, oldest first', tags, params: z.object({ id: Uuid }), response: AttachmentList },
    async (ctx, { params, actor }) => {
      ctx.body = presentAttachments(await listTicketAttachments(deps, actor, params.id), actor);
    },
  );

  route(
    router,
    {
      method: 'get',
      path: '/tickets/:id/attachments/:attachmentId',
      summary: 'Download one file (Content-Disposition: attachment); integrity-report evidence: supervisors only, each download recorded as attachment_read',
      tags,
      params: AttachmentParams,
      binary: DOWNLOAD_TYPES,
    },
    async (ctx, { params, actor }) => {
      sendAttachment(ctx, await readAttachment(deps, actor, params.id, params.attachmentId, 'file'), 'file');
    },
  );

  route(
    router,
    { method: 'get', path: '/tickets/:id/attachments/:attachmentId/preview', summary: "A photo's preview (WebP, at most 320 px, inline)", tags, params: AttachmentParams, binary: [PREVIEW_TYPE] },
    async (ctx, { params, actor }) => {
      sendAttachment(ctx, await readAttachment(deps, actor, params.id, params.attachmentId, 'preview'), 'preview');
    },
  );
}
