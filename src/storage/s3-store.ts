import { createReadStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { BlobStore, checkKey } from './blob-store';
import type { S3Location } from './s3-url';

const status = (e: unknown) => (e instanceof S3ServiceException ? e.$metadata.httpStatusCode : (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode);

/**
 * Attachments in an S3-compatible bucket (AWS SDK v3). Uploads are single PUTs streamed from
 * the staged local file with its length (no multipart buffering in memory); a move is
 * CopyObject + DeleteObject. Checksums are sent only where the API requires them: many
 * S3-compatible servers do not speak the SDK's default aws-chunked trailing checksums.
 */
export function s3BlobStore(loc: S3Location): BlobStore {
  // The SDK is pinned to 3.1169.0, the last line that supports Node 20 (package.json; STACK.md):
  // its notice that later versions need Node 22 is known and would only repeat in every log.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const client = new S3Client({
    region: loc.region,
    endpoint: loc.endpoint,
    forcePathStyle: loc.forcePathStyle,
    credentials: loc.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  const k = (key: string) => loc.prefix + checkKey(key);
  const Bucket = loc.bucket;
  return {
    kind: 's3',
    async putFile(key, localPath, size, contentType) {
      await client.send(new PutObjectCommand({ Bucket, Key: k(key), Body: createReadStream(localPath), ContentLength: size, ContentType: contentType }));
      await unlink(localPath);
    },
    async move(from, to) {
      try {
        await client.send(new CopyObjectCommand({ Bucket, Key: k(to), CopySource: `${Bucket}/${encodeURI(k(from))}` }));
      } catch (e) {
        if (status(e) !== 404) throw e;
        const moved = await this.open(to);
        if (!moved) throw e; // neither exists
        moved.stream.destroy();
        return; // already moved
      }
      await client.send(new DeleteObjectCommand({ Bucket, Key: k(from) }));
    },
    async open(key) {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket, Key: k(key) }));
        return { stream: r.Body as Readable, size: Number(r.ContentLength ?? 0) };
      } catch (e) {
        if (status(e) === 404) return null;
        throw e;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: k(key) }));
    },
    async *list(prefix) {
      let token: string | undefined;
      do {
        const r = await client.send(new ListObjectsV2Command({ Bucket, Prefix: loc.prefix + prefix, ContinuationToken: token, MaxKeys: 1000 }));
        for (const o of r.Contents ?? []) if (o.Key) yield { key: o.Key.slice(loc.prefix.length), modifiedAt: o.LastModified ?? new Date(0) };
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    },
    async close() {
      client.destroy();
    },
  };
}
