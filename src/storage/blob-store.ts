import type { Readable } from 'node:stream';

/**
 * Where attachment bytes live (issue 12; docs/decisions/attachments.md): one interface, a
 * filesystem driver under `DATA_DIR` (the default) and an S3-compatible driver
 * (`STORAGE_URL=s3://bucket?endpoint=…`) for several machines. Keys are `/`-separated paths of
 * `[a-z0-9._-]` segments. Every call streams: no driver holds a whole file in memory.
 *
 * A file is written aside under a staging key before the transaction that refers to it, and
 * moved to its final key after that transaction commits; a rolled-back action deletes its
 * staging keys, and the orphan sweep deletes what a crash left (src/commands/attachments.ts).
 */
export interface BlobStore {
  readonly kind: 'fs' | 's3';
  /** Stores the local file at `localPath` under `key` and removes the local file. */
  putFile(key: string, localPath: string, size: number, contentType: string): Promise<void>;
  /** Moves `from` to `to`. Idempotent: `from` absent and `to` present is success. Throws if neither exists. */
  move(from: string, to: string): Promise<void>;
  /** A read stream of `key` and its size in bytes, or null when there is no such object. */
  open(key: string): Promise<{ stream: Readable; size: number } | null>;
  /** Deletes `key`; an absent key is no error. */
  delete(key: string): Promise<void>;
  /** The keys under `prefix` (e.g. `staging/`) with their last modification instant, in pages. */
  list(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }>;
  /** Releases connections (the S3 client's sockets). */
  close(): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/;
/** Refuses keys that could leave the store's root (`..`, absolute paths, odd characters). */
export function checkKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..')) throw new Error(`invalid storage key ${JSON.stringify(key)}`);
  return key;
}

/** Where an attachment's bytes are staged (before its row commits) and where they end up. */
export const stagingKey = (id: string, preview = false) => checkKey(`staging/${id}${preview ? '.preview' : ''}`);
export const finalKey = (id: string, preview = false) => checkKey(`files/${id.slice(0, 2)}/${id}${preview ? '.preview' : ''}`);
/** The attachment id a staging key belongs to (`staging/<id>[.preview]`), or null. */
export function idOfStagingKey(key: string): { id: string; preview: boolean } | null {
  const m = /^staging\/([0-9a-f-]{36})(\.preview)?$/.exec(key);
  return m ? { id: m[1], preview: !!m[2] } : null;
}
