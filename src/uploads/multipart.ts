import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { AppError } from '../errors';
import { discardStaged } from './discard';
import { fileTooLarge, stageFile, StagedFile, Uploads } from './stage';

/** What a multipart request carried: its text fields and its files, staged in order. */
export interface ReceivedForm {
  fields: Record<string, string>;
  files: StagedFile[];
}

export interface ReceiveOptions {
  /** the name of the file parts (default `file`) */
  fileField?: string;
  /**
   * Called once, before the first file is stored, with the fields sent before it (the form's
   * `payload`, `code`, CSRF token…): validate and authorize here, so that a refused request
   * stores nothing. Not called when the request has no files.
   */
  beforeFirstFile?: (fields: Record<string, string>) => Promise<void>;
  /**
   * Skip file parts without a file name (the web pages: a browser sends an empty part for a
   * file input left empty). Off for the API, where such a part is refused.
   */
  skipUnnamedFiles?: boolean;
}

const MAX_FIELD_BYTES = 1024 * 1024; // the JSON body limit (DESIGN §12)
let active = 0;

const bad = (code: string, detail: string, field = 'body') => new AppError(400, code, detail, [{ field, code, message: detail }]);
/**
 * A form field given twice: 400 `unexpected-part`, the field named with code `repeated` (the
 * pages show it next to that field, src/pages/forms.ts `repeatedOf`); `fields` are the fields
 * read before it, for a page to show the form again with them (never in the problem body).
 */
export class RepeatedField extends AppError {
  constructor(
    name: string,
    readonly fields: Record<string, string>,
  ) {
    super(400, 'unexpected-part', `form field ${name} given twice`, [{ field: name, code: 'repeated', message: 'given more than once' }]);
  }
}
/** 413 for the request as a whole: nothing more of it is read (the route closes the connection). */
const requestTooLarge = (max: number) =>
  new AppError(413, 'request-too-large', `the request is larger than ${max} bytes`, [{ field: 'body', code: 'too_large', message: `at most ${max} bytes per request` }], { maxBytes: max });

/**
 * Reads a `multipart/form-data` request as a stream (busboy): text fields are kept (1 MB each
 * at most), each `file` part is staged by {@link stageFile} as it arrives, at most
 * `ATTACHMENT_MAX_FILES` of them, the whole request bounded by `ATTACHMENT_MAX_REQUEST_BYTES`
 * (checked on `Content-Length` before reading, and on the bytes read). On any refusal every file
 * already staged is deleted before the error is thrown: nothing is stored. Used by the API routes
 * and by the pages alike; the caller hands the staged files to a command, which commits them.
 * @throws 415 not multipart; 413 `request-too-large`, `too-many-files`, `file-too-large`,
 *   `field-too-large`; 400 `malformed-multipart`, `unexpected-part`; 503 `uploads-busy`; and what
 *   `beforeFirstFile` or {@link stageFile} throw
 */
export async function receiveMultipart(up: Uploads, req: IncomingMessage, o: ReceiveOptions = {}): Promise<ReceivedForm> {
  const headers: IncomingHttpHeaders = req.headers;
  if (!/^multipart\/form-data\b/i.test(headers['content-type'] ?? '')) {
    throw new AppError(415, 'unsupported-media-type', 'send the files as multipart/form-data', [{ field: 'Content-Type', code: 'unsupported', message: 'must be multipart/form-data' }]);
  }
  const { maxRequestBytes, maxFiles } = up.limits;
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxRequestBytes) throw requestTooLarge(maxRequestBytes);
  if (active >= up.limits.maxConcurrentUploads) throw new AppError(503, 'uploads-busy', 'too many uploads in progress; try again in a few seconds', [], { retryAfter: 5 });
  active++;
  try {
    return await receive(up, req, o, maxRequestBytes, maxFiles);
  } finally {
    active--;
  }
}

function receive(up: Uploads, req: IncomingMessage, o: ReceiveOptions, maxRequestBytes: number, maxFiles: number): Promise<ReceivedForm> {
  const fileField = o.fileField ?? 'file';
  return new Promise<ReceivedForm>((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fieldSize: MAX_FIELD_BYTES, fields: 50, parts: maxFiles + 50, headerPairs: 50 } });
    } catch (e) {
      reject(bad('malformed-multipart', `not a readable multipart/form-data request: ${(e as Error).message}`, 'Content-Type'));
      return;
    }
    const fields: Record<string, string> = {};
    const jobs: Promise<StagedFile | null>[] = [];
    const staged: StagedFile[] = [];
    let gate: Promise<void> | undefined;
    let failed = false;
    let read = 0;

    // file streams not yet finished: on a refusal they are destroyed, so that a file being
    // staged from a body that will never end (the client went away) fails at once and its
    // staging settles — otherwise the request would hold its upload slot for ever
    const open = new Set<NodeJS.ReadableStream & { destroy(): void }>();
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      for (const s of open) s.destroy();
      // Within the bound the rest is read and dropped, so that the client gets the answer;
      // past it nothing more is read (the route closes the connection).
      if (!(err instanceof AppError && err.code === 'request-too-large')) req.resume();
      void Promise.allSettled(jobs)
        .then(() => discardStaged(up.store, staged, up.log))
        .then(() => reject(err));
    };
    req.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > maxRequestBytes) {
        req.pause();
        fail(requestTooLarge(maxRequestBytes));
      }
    });
    req.on('aborted', () => fail(bad('request-aborted', 'the request was interrupted')));
    req.on('error', (e) => fail(bad('request-aborted', `the request failed: ${e.message}`)));

    bb.on('field', (name, value, info) => {
      if (failed) return;
      if (info.nameTruncated || info.valueTruncated)
        return fail(new AppError(413, 'field-too-large', `form field ${name}: larger than 1 MB`, [{ field: name, code: 'too_large', message: 'at most 1 MB' }]));
      if (name === fileField) return fail(bad('unexpected-part', `the ${fileField} part has no filename`, fileField));
      if (Object.hasOwn(fields, name)) return fail(new RepeatedField(name, { ...fields }));
      fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      // A body cut off inside a file part makes busboy fail the part's stream, possibly before
      // anyone reads it (while `beforeFirstFile` runs): without a listener from the start that
      // error is unhandled and ends the process.
      // (a refusal of our own, such as the size limit's 413, keeps its code)
      stream.on('error', (e) => fail(e instanceof AppError ? e : bad('malformed-multipart', `not a readable multipart/form-data body: ${e.message}`)));
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      if (failed) return void stream.resume();
      if (o.skipUnnamedFiles && !info.filename) return void stream.resume();
      if (name !== fileField) {
        stream.resume();
        return fail(bad('unexpected-part', `unexpected file part ${name}; files go in parts named ${fileField}`, name));
      }
      if (jobs.length >= maxFiles) {
        stream.resume();
        return fail(new AppError(413, 'too-many-files', `at most ${maxFiles} files per request`, [{ field: fileField, code: 'too_many', message: `at most ${maxFiles} files` }], { maxFiles }));
      }
      const job = (async () => {
        gate ??= o.beforeFirstFile ? o.beforeFirstFile({ ...fields }) : Promise.resolve();
        await gate;
        if (failed) return null;
        const f = await stageFile(up, { name: info.filename, stream });
        staged.push(f);
        return f;
      })();
      job.catch((e) => {
        stream.resume();
        fail(e);
      });
      jobs.push(job);
    });
    bb.on('filesLimit', () => fail(new AppError(413, 'too-many-files', `at most ${maxFiles} files per request`, [], { maxFiles })));
    bb.on('partsLimit', () => fail(new AppError(413, 'too-many-parts', 'too many parts in the form')));
    bb.on('fieldsLimit', () => fail(new AppError(413, 'too-many-parts', 'too many fields in the form')));
    bb.on('error', (e) => fail(bad('malformed-multipart', `not a readable multipart/form-data body: ${(e as Error).message}`)));
    bb.on('close', () => {
      Promise.all(jobs).then(
        (files) => {
          if (failed) return;
          resolve({ fields, files: files.filter((f): f is StagedFile => !!f) });
        },
        (e) => fail(e),
      );
    });
    req.pipe(bb);
  });
}

export { fileTooLarge };
