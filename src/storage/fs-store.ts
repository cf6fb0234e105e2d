import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { BlobStore, checkKey } from './blob-store';

const isMissing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Attachments as files under `root` (by default `DATA_DIR/attachments`). Writes are renames:
 * a staged file appears whole or not at all, and the move on commit is atomic on one filesystem.
 */
export function fsBlobStore(root: string): BlobStore {
  const path = (key: string) => join(root, ...checkKey(key).split('/'));
  return {
    kind: 'fs',
    async putFile(key, localPath) {
      const to = path(key);
      await mkdir(dirname(to), { recursive: true });
      try {
        await rename(localPath, to);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        // temp folder on another filesystem: copy beside the target, then rename into place
        await copyFile(localPath, `${to}.part`);
        await rename(`${to}.part`, to);
        await unlink(localPath);
      }
    },
    async move(from, to) {
      const target = path(to);
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(path(from), target);
      } catch (e) {
        if (!isMissing(e)) throw e;
        await stat(target); // already moved (a retry, or the sweep) — else this throws ENOENT
      }
    },
    async open(key) {
      const p = path(key);
      try {
        const s = await stat(p);
        return { stream: createReadStream(p), size: s.size };
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
    async *list(prefix) {
      const trimmed = prefix.replace(/\/$/, '');
      const base = trimmed ? path(trimmed) : root;
      let names: string[];
      try {
        names = await readdir(base, { recursive: true });
      } catch (e) {
        if (isMissing(e)) return;
        throw e;
      }
      for (const name of names) {
        const p = join(base, name);
        const s = await stat(p).catch(() => null);
        if (!s?.isFile()) continue;
        yield { key: relative(root, p).split(sep).join('/'), modifiedAt: s.mtime };
      }
    },
    async close() {},
  };
}
