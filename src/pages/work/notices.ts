import type Router from '@koa/router';
import type { Context } from 'koa';
import type { PageKit } from '../kit';
import { pageCursor, redirectDone, takeDone } from './common';
import { requireStaff } from './access';
import { Uuid } from '../../schemas';
import { ImportFields, uploadSingle } from '../../http/routes/result-notices';
import { createResultNotice, finalizeResultNotice, NoticeInput, parseNoticeFile } from '../../commands/result-notices';
import { findNotice, listNotices, noticeView } from '../../queries/result-notices';
import { listDepartments } from '../../queries/reference';
import { runAs } from '../../deps';
import { localDate } from '../../domain/deadline';
import { AppError } from '../../errors';
import { emptyForm, FormView } from '../render';
import { formWithErrors, zodErrors } from '../forms';
import { fieldMessage, problemMessage } from '../messages';
import { checkCsrfToken } from '../session';

const FIELDS = ['title', 'publishedOn', 'windowWorkingDays', 'handlingDepartmentCode', 'rows', 'file'] as const;
/** The columns of an import as the row errors name them. */
const COLUMN: Record<string, string> = { creditCode: '统一社会信用代码', businessName: '名称', category: '类别', sector: '行业', operatorMasked: '经营者' };
/** Messages of the import's row errors that say more than the general ones. */
const ROW_MESSAGES: Record<string, string> = {
  required: '没有填写。',
  invalid: '不是有效的统一社会信用代码（第18位校验码不对），请对照营业执照核对。',
  duplicate: '和前面某一行的统一社会信用代码重复。',
  invalid_enum_value: '类别只能是：知名、特色、优质、新兴。',
};
const OWN: Record<string, Record<string, string>> = {
  title: { empty: '请填写公示的名称。', invalid_type: '请填写公示的名称。' },
  publishedOn: { empty: '请填写发布日期。', invalid_type: '请填写发布日期。' },
  rows: { required: '请上传名单文件，或把名单粘贴在这里。' },
};

/** A row error of an import, as the page lists it. */
export interface RowError {
  row: number;
  column: string;
  message: string;
}

/**
 * The coordinator's result notices (公示, DESIGN §6, issue 10): the list, a new notice from a
 * CSV/XLSX file or from rows pasted in the same shape (`parseNoticeFile` and
 * `createResultNotice`, as `POST /api/v1/result-notices/import`; every bad row listed with its
 * row number, nothing imported then), a notice with its entries and the objections on each
 * (`noticeView` for staff), and finalizing it (`finalizeResultNotice`: the command refuses
 * while the window is open or an objection is open, and the page shows why).
 */
export function noticePagesForStaff(router: Router, kit: PageKit) {
  const { deps } = kit;
  const tz = deps.config.businessTz;

  async function departments() {
    return (await listDepartments(deps.db.manager)).filter((d) => d.active && d.code !== 'DIS');
  }

  async function showNew(ctx: Context, form: FormView, rowErrors: RowError[] = [], status = 200) {
    requireStaff(ctx, 'coordinator');
    const values = { publishedOn: localDate(deps.clock.now(), tz), handlingDepartmentCode: 'SAMR', ...form.values };
    kit.show(ctx, 'work/notice-new', '发布公示', { form: { ...form, values }, rowErrors, departments: (await departments()).map((d) => ({ value: d.code, label: d.nameZh })) }, status);
  }

  async function showOne(ctx: Context, id: string, problem: string | null = null, status = 200) {
    const { actor } = requireStaff(ctx, 'coordinator');
    const cal = await deps.calendar.get(deps.db.manager);
    const n = await noticeView(deps.db.manager, await findNotice(deps.db.manager, id), actor, cal, tz, deps.clock.now());
    const name = new Map((await listDepartments(deps.db.manager)).map((d) => [d.code, d.nameZh]));
    const byEntry = new Map<string, NonNullable<typeof n.objections>>();
    for (const o of n.objections ?? []) byEntry.set(o.resultEntryId ?? '', [...(byEntry.get(o.resultEntryId ?? '') ?? []), o]);
    const done = takeDone(ctx, kit)?.done;
    kit.show(
      ctx,
      'work/notice',
      n.title,
      {
        n,
        handling: name.get(n.handlingDepartmentCode) ?? n.handlingDepartmentCode,
        byEntry,
        unnamed: byEntry.get('') ?? [],
        done: done === 'created' ? `已发布，共${n.counts.entries}户。` : done === 'finalized' ? '公示结果已确认，名单不再变动。' : null,
        problem,
        summaryTitle: problem ? '现在不能确认结果' : undefined,
        form: problem ? { ...emptyForm(), problem, summary: [] } : emptyForm(),
      },
      status,
    );
  }

  router.get('/work/notices', async (ctx) => {
    requireStaff(ctx, 'coordinator');
    const cursor = pageCursor(ctx.query.cursor);
    const page = await listNotices(deps.db.manager, { limit: 50, cursor }, await deps.calendar.get(deps.db.manager), tz, deps.clock.now());
    kit.show(ctx, 'work/notices', '公示', { items: page.items, nextCursor: page.nextCursor });
  });

  router.get('/work/notices/new', async (ctx) => showNew(ctx, emptyForm()));

  // multipart (MULTIPART_PAGES): the CSRF token is checked once the form is read, before anything is written
  router.post(
    '/work/notices/import',
    async (ctx, next) => {
      requireStaff(ctx, 'coordinator');
      await next();
    },
    uploadSingle('file', 1024 * 1024),
    async (ctx) => {
      const { actor } = requireStaff(ctx, 'coordinator');
      const raw = ((ctx.request as unknown as { body?: Record<string, unknown> }).body ?? {}) as Record<string, unknown>;
      const v = Object.fromEntries(Object.entries(raw).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
      checkCsrfToken(ctx, v._csrf);
      delete v._csrf;
      const { rows: pasted, ...fields } = v;
      const parsed = ImportFields.safeParse(fields);
      const file = (ctx as unknown as { file?: { buffer: Buffer } }).file;
      const content = file?.buffer.length ? file.buffer : pasted?.trim() ? Buffer.from(pasted, 'utf8') : null;
      const errors = [...(parsed.success ? [] : zodErrors(parsed.error, fields)), ...(content ? [] : [{ field: 'rows', code: 'required' }])];
      if (!parsed.success || !content) return showNew(ctx, own(formWithErrors(v, errors, FIELDS), errors), [], 400);
      let id: string;
      try {
        const { entries, format } = await parseNoticeFile(content);
        id = (await runAs(deps, actor, (c) => createResultNotice(c, { ...parsed.data, entries } as NoticeInput, file?.buffer.length ? format : 'csv'))).id;
      } catch (e) {
        if (!(e instanceof AppError) || e.status >= 500 || e.status === 401 || e.status === 403) throw e;
        const rowErrors = e.errors
          .filter((x) => typeof (x as { row?: number }).row === 'number')
          .map((x) => ({
            row: (x as unknown as { row: number }).row,
            column: COLUMN[x.field.split('.').pop() ?? ''] ?? '表头',
            message: x.code === 'missing_column' ? `缺少“${x.field.replace('header.', '')}”列。` : (ROW_MESSAGES[x.code] ?? fieldMessage(x.field, x.code)),
          }));
        const rest = e.errors
          .filter((x) => typeof (x as { row?: number }).row !== 'number')
          .map((x) => ({ field: /^entries\./.test(x.field) ? 'rows' : x.field === 'file' ? 'rows' : x.field, code: x.code }));
        const form = formWithErrors(v, rest, FIELDS, { problem: rest.length || rowErrors.length ? undefined : problemMessage(e.code) });
        if (rowErrors.length) form.summary.push({ href: '#row-errors', text: `名单里有 ${new Set(rowErrors.map((r) => r.row)).size} 行有错误，请改正后重新上传：什么都没有导入。` });
        return showNew(ctx, own(form, rest), rowErrors, e.status);
      }
      redirectDone(ctx, kit, `/work/notices/${id}`, 'created');
    },
  );

  router.get('/work/notices/:id', async (ctx) => {
    if (!Uuid.safeParse(ctx.params.id).success) throw new AppError(404, 'not-found', 'no such notice');
    await showOne(ctx, ctx.params.id);
  });

  router.post('/work/notices/:id/finalize', async (ctx) => {
    const { actor } = requireStaff(ctx, 'coordinator');
    const id = ctx.params.id;
    if (!Uuid.safeParse(id).success) throw new AppError(404, 'not-found', 'no such notice');
    try {
      await runAs(deps, actor, (c) => finalizeResultNotice(c, id));
    } catch (e) {
      if (!(e instanceof AppError) || e.status >= 500 || e.status === 404 || e.status === 401) throw e;
      return showOne(ctx, id, problemMessage(e.code), e.status);
    }
    redirectDone(ctx, kit, `/work/notices/${id}`, 'finalized');
  });
}

/** The page's own wording for the notice fields. */
function own(f: FormView, errors: { field: string; code: string }[]): FormView {
  for (const e of errors) {
    const text = OWN[e.field]?.[e.code];
    if (!text || !f.errors[e.field]) continue;
    const old = f.errors[e.field];
    f.errors[e.field] = text;
    f.summary = f.summary.map((s) => (s.text === old ? { ...s, text } : s));
  }
  return f;
}
