import type { Context } from 'koa';
import type { PageKit } from './kit';
import { receiveMultipart } from '../uploads/multipart';
import { discardStaged } from '../uploads/discard';
import type { StagedFile } from '../uploads/stage';
import { checkCsrfToken } from './session';
import { readForm } from './forms';
import { AppError } from '../errors';
import type { AttachmentLimits } from '../config';

/**
 * The pages whose forms may carry files (`enctype="multipart/form-data"`): their POSTs skip
 * the early CSRF check, which needs a parsed body, and check the token in
 * {@link withFormFiles} before the first file is stored. Any other multipart POST is refused
 * (403) before its handler runs. A page that takes files adds its path here.
 */
export const MULTIPART_PAGES: readonly RegExp[] = [
  /^\/work\/tickets\/[0-9a-f-]{36}\/(supplement|reply|conclude|decide|attach)$/,
  /^\/work\/oversight\/[0-9a-f-]{36}\/respond$/,
  /^\/work\/notices\/import$/,
  // the owner pages (issue 9): photos and documents with a complaint, integrity evidence, a supplement
  /^\/submit\/(complaint|integrity)$/,
  /^\/track\/supplement$/,
];

export const takesFiles = (path: string) => MULTIPART_PAGES.some((r) => r.test(path));

/**
 * Reads a page form that may carry files and runs `fn` with its fields (flat strings, `_csrf`
 * removed) and its staged files; files `fn` did not commit through a command are deleted
 * afterwards, whatever happens. For a multipart request the CSRF token (sent before the files:
 * put the file input last in the form) is checked before the first file is stored, and then
 * `precheck` runs (validate and authorize there, so that a refused form stores nothing); a
 * form posted without files (URL-encoded, or multipart with empty file inputs) goes to `fn`
 * as well, its token checked. A field sent twice is refused (400 `unexpected-part`, the field
 * named with code `repeated`: `repeatedOf` in src/pages/forms.ts) before `fn`. Limits as the API's (`ATTACHMENT_MAX_*`, 413/415/503).
 */
export async function withFormFiles<T>(
  ctx: Context,
  kit: PageKit,
  precheck: ((fields: Record<string, string>) => Promise<void>) | null,
  fn: (fields: Record<string, string>, files: StagedFile[]) => Promise<T>,
): Promise<T> {
  if (!ctx.is('multipart/form-data')) {
    return fn(readForm(ctx), []); // a field sent twice is refused (readForm) as the multipart reader refuses it
  }
  const uploads = kit.deps.uploads;
  const strip = (f: Record<string, string>) => {
    const { _csrf: _c, ...rest } = f;
    return rest;
  };
  const form = await receiveMultipart(uploads, ctx.req, {
    skipUnnamedFiles: true,
    beforeFirstFile: async (fields) => {
      checkCsrfToken(ctx, fields._csrf);
      await precheck?.(strip(fields));
    },
  });
  try {
    if (!form.files.length) checkCsrfToken(ctx, form.fields._csrf);
    return await fn(strip(form.fields), form.files);
  } finally {
    await discardStaged(uploads.store, form.files, uploads.log);
  }
}

/** The refusals of a form's files (the upload bounds and the content checks): shown next to the file field. */
export const FILE_REFUSALS = new Set([
  'file-too-large',
  'unsupported-media-type',
  'empty-file',
  'unreadable-file',
  'metadata-not-removable',
  'too-many-files',
  'too-many-attachments',
  'request-too-large',
  'uploads-busy',
]);

const mb = (bytes: number) => `${Math.floor(bytes / 1048576)}MB`;

/**
 * The Chinese message next to a form's file field for a refused upload (`FILE_REFUSALS`), naming
 * the file and the bound; null for any other error. The page keeps the other fields as typed;
 * the browser cannot keep a chosen file, so each message ends by asking to choose again.
 */
export function fileRefusalMessage(e: unknown, limits: AttachmentLimits): string | null {
  if (!(e instanceof AppError) || !FILE_REFUSALS.has(e.code)) return null;
  const file = typeof e.extra.file === 'string' ? `“${e.extra.file}”` : '文件';
  switch (e.code) {
    case 'file-too-large':
      return `${file}太大：每个文件不能超过${mb(limits.maxBytes)}。照片可以截图或用手机相册“编辑”缩小后再选。`;
    case 'unsupported-media-type':
      return `${file}的格式不能上传：请选择照片（JPG、PNG、HEIC）、PDF、Word、Excel 或录音（MP3、AMR、WAV）。`;
    case 'empty-file':
      return `${file}是空的，请重新选择。`;
    case 'unreadable-file':
      return `${file}无法打开，可能已经损坏，请换一个文件。`;
    case 'metadata-not-removable':
      return `${file}里的拍摄位置等信息无法去除，为了保护您，没有上传。请截图后上传截图。`;
    case 'too-many-files':
      return `一次最多上传${limits.maxFiles}个文件，请少选几个。`;
    case 'too-many-attachments':
      return '这件工单的文件已经太多了，不能再上传。';
    case 'request-too-large':
      return `选的文件加起来太大：一次最多${mb(limits.maxRequestBytes)}，请少选几个或分几次上传。`;
    default:
      return '现在上传的人太多，请过一会儿再提交。';
  }
}
