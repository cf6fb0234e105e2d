import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AttachmentLimits } from '../config';
import type { Logger } from '../logger';
import { AttachmentType, acceptedType, storedName } from '../domain/attachments';
import { AppError } from '../errors';
import type { BlobStore } from '../storage';
import { stagingKey } from '../storage/blob-store';
import { blankHeifMetadata, MetadataError } from './heif-metadata';
import { PREVIEW_TYPE, reencodePhoto } from './photos';

/** What an upload needs: the store, a local temporary folder, the limits, a logger. Built once per process. */
export interface Uploads {
  store: BlobStore;
  /** local folder for files being received (never shared between machines) */
  tmpDir: string;
  limits: AttachmentLimits;
  log: Logger;
}

/**
 * A file received, checked and written aside under its staging key, not yet referred to by any
 * row. A command commits it (moves it to its final key with the row that refers to it) or
 * discards it; the orphan sweep deletes what neither did (src/commands/attachments.ts).
 */
export interface StagedFile {
  /** the attachment id (also its row's id) */
  id: string;
  /** the stored name: the client's base name with the extension of the real type */
  name: string;
  type: AttachmentType;
  /** bytes stored (after photo metadata removal) */
  size: number;
  /** SHA-256 of the stored bytes, hex */
  sha256: string;
  hasPreview: boolean;
  /** `staged` until a command commits or discards it */
  state: 'staged' | 'committed' | 'discarded';
}

const MiB = 1024 * 1024;
const fmt = (n: number) => (n % MiB === 0 ? `${n / MiB} MiB` : `${n} bytes`);

/** 413 for a file over the limit, naming it. */
export const fileTooLarge = (name: string, max: number) =>
  new AppError(413, 'file-too-large', `${name}: larger than ${fmt(max)}`, [{ field: 'file', code: 'too_large', message: `${name}: at most ${fmt(max)}` }], { file: name, maxBytes: max });

/** Counts bytes through; fails with `fileTooLarge` past `max`, and feeds the hash. */
function limiter(name: string, max: number, hash: ReturnType<typeof createHash>) {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > max) return cb(fileTooLarge(name, max));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

async function sha256Of(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path), h);
  return h.digest('hex');
}

/**
 * Receives one file from a stream (a multipart part, a page's upload, a CLI file): streams it to
 * a local temporary file (refused past `ATTACHMENT_MAX_BYTES`), recognizes its type by content,
 * removes photo metadata (JPEG/PNG/WebP re-encoded with a preview; HEIC metadata blanked), hashes
 * what will be stored and writes it under its staging key. Nothing stays behind on refusal.
 * @throws 413 `file-too-large`, 415 `unsupported-media-type` naming the file, 422 `empty-file`,
 *   422 `unreadable-file` (an image that does not decode or is over 50 MP), 422
 *   `metadata-not-removable` (a HEIC whose metadata cannot be located)
 */
export async function stageFile(up: Uploads, input: { name?: string; stream: Readable }): Promise<StagedFile> {
  const id = randomUUID();
  const clientName = input.name || 'file';
  await mkdir(up.tmpDir, { recursive: true });
  const raw = join(up.tmpDir, `${id}.raw`);
  const clean = join(up.tmpDir, `${id}.clean`);
  const prev = join(up.tmpDir, `${id}.preview`);
  const rawHash = createHash('sha256');
  try {
    await pipeline(input.stream, limiter(clientName, up.limits.maxBytes, rawHash), createWriteStream(raw));
    const size0 = (await stat(raw)).size;
    if (size0 === 0) throw new AppError(422, 'empty-file', `${clientName}: the file is empty`, [{ field: 'file', code: 'empty', message: `${clientName}: empty` }], { file: clientName });
    const { fileTypeFromFile } = await import('file-type');
    const sniffed = await fileTypeFromFile(raw);
    const type = acceptedType(sniffed?.mime);
    if (!type) {
      throw new AppError(
        415,
        'unsupported-media-type',
        `${clientName}: files of this type are not accepted (${sniffed?.mime ?? 'unrecognized content'}); send a photo (JPEG, PNG, WebP, HEIC), a PDF, DOCX or XLSX document, or an MP3, AMR or WAV recording`,
        [{ field: 'file', code: 'unsupported_type', message: `${clientName}: ${sniffed?.mime ?? 'unrecognized content'} is not accepted` }],
        { file: clientName, detected: sniffed?.mime ?? null },
      );
    }
    let stored = raw;
    let sha256 = rawHash.digest('hex');
    let hasPreview = false;
    if (type.photo === 'reencode') {
      try {
        await reencodePhoto(raw, clean, prev, type);
      } catch (e) {
        throw new AppError(
          422,
          'unreadable-file',
          `${clientName}: the image cannot be read (${(e as Error).message})`,
          [{ field: 'file', code: 'unreadable', message: `${clientName}: not a readable image of at most 50 megapixels` }],
          { file: clientName },
        );
      }
      stored = clean;
      sha256 = await sha256Of(clean);
      hasPreview = true;
    } else if (type.photo === 'blank-metadata') {
      try {
        if ((await blankHeifMetadata(raw)) > 0) sha256 = await sha256Of(raw);
      } catch (e) {
        if (!(e instanceof MetadataError)) throw e;
        throw new AppError(
          422,
          'metadata-not-removable',
          `${clientName}: the photo's metadata (which can hold its GPS position) cannot be removed: ${e.message}`,
          [{ field: 'file', code: 'metadata', message: `${clientName}: metadata cannot be removed; send it as JPEG` }],
          { file: clientName },
        );
      }
    }
    const size = (await stat(stored)).size;
    if (hasPreview) await up.store.putFile(stagingKey(id, true), prev, (await stat(prev)).size, PREVIEW_TYPE);
    try {
      await up.store.putFile(stagingKey(id), stored, size, type.mime);
    } catch (e) {
      if (hasPreview) await up.store.delete(stagingKey(id, true)).catch(() => undefined);
      throw e;
    }
    return { id, name: storedName(clientName, type), type, size, sha256, hasPreview, state: 'staged' };
  } finally {
    input.stream.resume(); // a refused part is drained, so that the rest of the request can be read
    await Promise.all([raw, clean, prev].map((p) => rm(p, { force: true })));
  }
}

/**
 * Deletes local temporary files older than `olderThanMs` left by a process that stopped while
 * receiving (each machine's own folder; called at start-up and by the sweep).
 */
export async function purgeTemporaryFiles(tmpDir: string, now: number, olderThanMs: number): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tmpDir);
  } catch {
    return 0;
  }
  let n = 0;
  for (const name of names) {
    const p = join(tmpDir, name);
    const s = await stat(p).catch(() => null);
    if (s?.isFile() && now - s.mtimeMs > olderThanMs) {
      await rm(p, { force: true });
      n++;
    }
  }
  return n;
}
