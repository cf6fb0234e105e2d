import type { Context } from 'koa';
import type { PageKit } from './kit';
import { receiveMultipart } from '../uploads/multipart';
import { discardStaged } from '../uploads/discard';
import type { StagedFile } from '../uploads/stage';
import { checkCsrfToken } from './session';
import { readForm } from './forms';

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
];

export const takesFiles = (path: string) => MULTIPART_PAGES.some((r) => r.test(path));

/**
 * Reads a page form that may carry files and runs `fn` with its fields (flat strings, `_csrf`
 * removed) and its staged files; files `fn` did not commit through a command are deleted
 * afterwards, whatever happens. For a multipart request the CSRF token (sent before the files:
 * put the file input last in the form) is checked before the first file is stored, and then
 * `precheck` runs (validate and authorize there, so that a refused form stores nothing); a
 * form posted without files (URL-encoded, or multipart with empty file inputs) goes to `fn`
 * as well, its token checked. Limits as the API's (`ATTACHMENT_MAX_*`, 413/415/503).
 */
export async function withFormFiles<T>(ctx: Context, kit: PageKit, precheck: ((fields: Record<string, string>) => Promise<void>) | null,
  fn: (fields: Record<string, string>, files: StagedFile[]) => Promise<T>): Promise<T> {
  if (!ctx.is('multipart/form-data')) return fn(readForm(ctx), []);
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
