import Router from '@koa/router';
import multer from '@koa/multer';
import type { Context, Next } from 'koa';
import { z, registry, Problem } from '../openapi';
import { route, toFieldErrors } from '../route';
import { AppDeps, runCommand } from '../deps';
import { CreditCode, DepartmentCode, IsoDate, line, Paging, Uuid } from '../../schemas';
import { requireRole } from '../auth';
import { createResultNotice, finalizeResultNotice, parseNoticeFile, NoticeInput } from '../../commands/result-notices';
import type { Actor } from '../../domain/lifecycle';
import { RECOGNITION_CATEGORIES } from '../../domain/objection-window';
import { AppError } from '../../errors';
import { findNotice, listNotices, noticeView } from '../../queries/result-notices';

const Entry = z
  .object({
    creditCode: CreditCode,
    businessName: line(100),
    category: z.enum(RECOGNITION_CATEGORIES),
    sector: line(100).optional(),
    operatorMasked: line(100).optional().openapi({ description: "the operator's name as published, already masked (张**)" }),
  })
  .strict();

const WindowWorkingDays = z.number().int().min(1).max(60);
/** Notice metadata, shared by the JSON create and the import form. */
const NoticeFields = {
  title: line(200),
  publishedOn: IsoDate,
  windowWorkingDays: WindowWorkingDays.optional().openapi({ description: 'N working days counting the publication day when it is a working day (default 5)' }),
  windowFrom: IsoDate.optional().openapi({ description: 'explicit window: first day (with windowUntil, instead of windowWorkingDays)' }),
  windowUntil: IsoDate.optional().openapi({ description: 'explicit window: last day, inclusive' }),
  handlingDepartmentCode: DepartmentCode.optional().openapi({ description: 'department that decides objections (default SAMR)' }),
};
export const NoticeCreate = z
  .object({ ...NoticeFields, entries: z.array(Entry).min(1).max(5000) })
  .strict()
  .openapi('ResultNoticeCreate');

/** Form fields of the import (multipart strings; empty fields count as absent). */
const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);
export const ImportFields = z
  .object({
    ...NoticeFields,
    windowWorkingDays: z.preprocess(blankToUndefined, z.coerce.number().pipe(WindowWorkingDays).optional()),
    windowFrom: z.preprocess(blankToUndefined, IsoDate.optional()),
    windowUntil: z.preprocess(blankToUndefined, IsoDate.optional()),
    handlingDepartmentCode: z.preprocess(blankToUndefined, DepartmentCode.optional()),
  })
  .strict();

const IdParam = z.object({ id: Uuid });
/** Maps multer's errors to problems: a file over 1 MB is 413 like any body (DESIGN §12), the rest 400. */
export function uploadSingle(field: string, fieldSize = 2000) {
  const upload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 1024 * 1024, files: 1, fields: 20, fieldSize, parts: 30 } }).single(field);
  return async (ctx: Context, next: Next) => {
    if (!ctx.is('multipart/form-data')) {
      throw new AppError(415, 'unsupported-media-type', 'upload the file as multipart/form-data with a "file" part and the notice fields');
    }
    try {
      await upload(ctx as never, async () => {});
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'LIMIT_FILE_SIZE') throw new AppError(413, 'body-too-large', 'the file is larger than 1 MB');
      throw new AppError(400, 'validation-failed', `invalid upload: ${(e as Error).message}`, [
        { field: (e as { field?: string }).field ?? 'file', code: code ?? 'invalid_upload', message: (e as Error).message },
      ]);
    }
    await next();
  };
}

/** Result notices (公示) and their objection windows (DESIGN §6, §13). */
export function resultNoticeRoutes(router: Router, deps: AppDeps) {
  const tags = ['result notices'];
  const now = () => deps.clock.now();
  const calendar = () => deps.calendar.get(deps.db.manager);

  route(
    router,
    { method: 'post', path: '/result-notices', roles: ['coordinator'] as const, summary: 'Publish a result notice with its entries (coordinator)', tags, status: 201, body: NoticeCreate },
    async (ctx, { body }) => {
      const view = await runCommand(deps, ctx, async (c) => noticeView(c.em, await createResultNotice(c, body as NoticeInput), c.actor, c.cal, c.tz, c.now));
      ctx.status = 201;
      ctx.set('Location', `/api/v1/result-notices/${view.id}`);
      ctx.body = view;
    },
  );

  // Import: multipart/form-data with the notice fields and one `file` part (CSV or XLSX).
  registry.registerPath({
    method: 'post',
    path: '/api/v1/result-notices/import',
    tags,
    security: [{ bearer: [] }],
    summary: 'Publish a result notice from a CSV or XLSX file (coordinator); bad rows are reported with their row numbers and nothing is imported',
    request: {
      body: {
        content: {
          'multipart/form-data': {
            schema: ImportFields.extend({
              file: z.string().openapi({ type: 'string', format: 'binary', description: 'CSV (UTF-8 or GBK) or XLSX, header row credit_code,business_name,category[,sector,operator_masked]' }),
            }),
          },
        },
      },
    },
    responses: { 201: { description: 'the notice' }, '4XX': { description: 'problem', content: { 'application/problem+json': { schema: Problem } } } },
  });
  router.post(
    '/result-notices/import',
    async (ctx, next) => {
      requireRole(ctx, 'coordinator');
      await next();
    },
    uploadSingle('file'),
    async (ctx) => {
      const parsed = ImportFields.safeParse((ctx.request as unknown as { body?: unknown }).body ?? {});
      if (!parsed.success) {
        const errors = toFieldErrors(parsed.error);
        throw new AppError(400, 'validation-failed', `invalid form: ${errors[0].field}: ${errors[0].message}`, errors);
      }
      const file = (ctx as unknown as { file?: { buffer: Buffer } }).file;
      if (!file) throw new AppError(400, 'validation-failed', 'the form has no file', [{ field: 'file', code: 'required', message: 'attach the CSV or XLSX file as the "file" part' }]);
      const { entries, format } = await parseNoticeFile(file.buffer);
      const view = await runCommand(deps, ctx, async (c) => noticeView(c.em, await createResultNotice(c, { ...parsed.data, entries }, format), c.actor, c.cal, c.tz, c.now));
      ctx.status = 201;
      ctx.set('Location', `/api/v1/result-notices/${view.id}`);
      ctx.body = view;
    },
  );

  route(
    router,
    { method: 'get', path: '/result-notices', summary: 'Result notices, newest first (public, as a 公示 is)', tags, auth: 'public', query: z.object({ ...Paging }).strict() },
    async (ctx, { query }) => {
      ctx.body = await listNotices(deps.db.manager, query, await calendar(), deps.config.businessTz, now());
    },
  );

  route(
    router,
    { method: 'get', path: '/result-notices/:id', summary: 'A result notice: window, status, entries with their status (public)', tags, auth: 'public', params: IdParam },
    async (ctx, { params }) => {
      ctx.body = await noticeView(deps.db.manager, await findNotice(deps.db.manager, params.id), ctx.state.actor as Actor, await calendar(), deps.config.businessTz, now());
    },
  );

  route(
    router,
    {
      method: 'post',
      path: '/result-notices/:id/finalize',
      roles: ['coordinator'] as const,
      summary: 'Finalize a notice once its window has closed and no objection is open; freezes the list (coordinator)',
      tags,
      params: IdParam,
    },
    async (ctx, { params }) => {
      ctx.body = await runCommand(deps, ctx, async (c) => noticeView(c.em, await finalizeResultNotice(c, params.id), c.actor, c.cal, c.tz, c.now));
    },
  );
}
