/** `STORAGE_URL=s3://[accessKey:secret@]bucket[/prefix]?endpoint=…&region=…&forcePathStyle=true|false` parsed. */
export interface S3Location {
  bucket: string;
  /** key prefix inside the bucket ('' or ending in `/`) */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Parses an `s3://` storage URL. Without credentials in the URL the SDK's own chain applies
 * (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles). Path-style addressing
 * is the default (what MinIO, Ceph RGW and most S3-compatible servers on a private network want).
 * @throws Error naming what is wrong
 */
export function parseS3Url(raw: string): S3Location {
  const u = new URL(raw);
  if (u.protocol !== 's3:') throw new Error('must start with s3://');
  const bucket = u.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error('the bucket name must be 3-63 lower-case letters, digits, dots or hyphens');
  const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint && !/^https?:\/\//.test(endpoint)) throw new Error('endpoint must be an http:// or https:// URL');
  const region = u.searchParams.get('region') ?? 'us-east-1';
  const fps = u.searchParams.get('forcePathStyle');
  return {
    bucket,
    prefix: path ? `${path}/` : '',
    endpoint,
    region,
    forcePathStyle: fps === null ? true : fps === 'true',
    credentials: u.username ? { accessKeyId: decodeURIComponent(u.username), secretAccessKey: decodeURIComponent(u.password) } : undefined,
  };
}
